//! Controlled vocabularies of DCAT-AP.de and the EU Publications Office, with German and English
//! labels. Identifiers are the ones the standards use, so they map 1:1 to IRIs in DCAT exports
//! and to CKAN `license_id` values.

use serde::Serialize;
use utoipa::ToSchema;

/// A licence from the DCAT-AP.de licence vocabulary (`http://dcat-ap.de/def/licenses/{id}`).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct License {
    /// DCAT-AP.de licence id, e.g. `dl-by-de/2.0`; also the CKAN `license_id`.
    pub id: &'static str,
    pub title: &'static str,
    /// Human-readable licence text.
    pub url: &'static str,
    /// Whether the licence is open in the sense of the Open Definition.
    pub open: bool,
    /// Whether reusers must name the source.
    pub attribution_required: bool,
    /// How to attribute, in German.
    pub attribution_hint: &'static str,
}

impl License {
    /// The DCAT-AP.de IRI, without trailing slash (GovData rejects one).
    pub fn uri(&self) -> String {
        format!("http://dcat-ap.de/def/licenses/{}", self.id)
    }
}

const BY_HINT: &str = "Namensnennung erforderlich: Bereitsteller, Titel des Datensatzes, Lizenz und Link zum Datensatz angeben.";

pub const LICENSES: &[License] = &[
    License {
        id: "dl-by-de/2.0",
        title: "Datenlizenz Deutschland – Namensnennung – Version 2.0",
        url: "https://www.govdata.de/dl-de/by-2-0",
        open: true,
        attribution_required: true,
        attribution_hint: BY_HINT,
    },
    License {
        id: "dl-zero-de/2.0",
        title: "Datenlizenz Deutschland – Zero – Version 2.0",
        url: "https://www.govdata.de/dl-de/zero-2-0",
        open: true,
        attribution_required: false,
        attribution_hint: "Keine Namensnennung erforderlich; ein Quellenvermerk ist willkommen.",
    },
    License {
        id: "cc-by/4.0",
        title: "Creative Commons Namensnennung – 4.0 International (CC BY 4.0)",
        url: "https://creativecommons.org/licenses/by/4.0/deed.de",
        open: true,
        attribution_required: true,
        attribution_hint: BY_HINT,
    },
    License {
        id: "cc-by-sa/4.0",
        title: "Creative Commons Namensnennung – Weitergabe unter gleichen Bedingungen 4.0 International (CC BY-SA 4.0)",
        url: "https://creativecommons.org/licenses/by-sa/4.0/deed.de",
        open: true,
        attribution_required: true,
        attribution_hint: "Namensnennung erforderlich; Bearbeitungen unter derselben Lizenz weitergeben.",
    },
    License {
        id: "cc-zero",
        title: "Creative Commons CC Zero License (CC0 1.0)",
        url: "https://creativecommons.org/publicdomain/zero/1.0/deed.de",
        open: true,
        attribution_required: false,
        attribution_hint: "Gemeinfrei; keine Namensnennung erforderlich.",
    },
    License {
        id: "officialWork",
        title: "Amtliches Werk, lizenzfrei nach § 5 Abs. 1 UrhG",
        url: "https://www.gesetze-im-internet.de/urhg/__5.html",
        open: true,
        attribution_required: false,
        attribution_hint: "Amtliches Werk; frei verwendbar, Quellenangabe nach § 63 UrhG.",
    },
    License {
        id: "odbl",
        title: "Open Data Commons Open Database License (ODbL)",
        url: "https://opendatacommons.org/licenses/odbl/1-0/",
        open: true,
        attribution_required: true,
        attribution_hint: "Namensnennung erforderlich; abgeleitete Datenbanken unter ODbL weitergeben.",
    },
    License {
        id: "cc-by-nc/4.0",
        title: "Creative Commons Namensnennung – Nicht kommerziell 4.0 International (CC BY-NC 4.0)",
        url: "https://creativecommons.org/licenses/by-nc/4.0/deed.de",
        open: false,
        attribution_required: true,
        attribution_hint: "Namensnennung erforderlich; keine kommerzielle Nutzung.",
    },
    License {
        id: "cc-by-nd/4.0",
        title: "Creative Commons Namensnennung – Keine Bearbeitungen 4.0 International (CC BY-ND 4.0)",
        url: "https://creativecommons.org/licenses/by-nd/4.0/deed.de",
        open: false,
        attribution_required: true,
        attribution_hint: "Namensnennung erforderlich; keine Bearbeitungen.",
    },
    License {
        id: "other-open",
        title: "Andere offene Lizenz",
        url: "http://dcat-ap.de/def/licenses/other-open",
        open: true,
        attribution_required: false,
        attribution_hint: "Siehe Nutzungsbedingungen in der Beschreibung.",
    },
    License {
        id: "other-closed",
        title: "Andere eingeschränkte Lizenz",
        url: "http://dcat-ap.de/def/licenses/other-closed",
        open: false,
        attribution_required: false,
        attribution_hint: "Siehe Nutzungsbedingungen in der Beschreibung.",
    },
];

pub fn license(id: &str) -> Option<&'static License> {
    LICENSES.iter().find(|l| l.id == id)
}

/// A labelled entry of a code list (themes, frequencies, file types, languages, org types).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Term {
    pub code: &'static str,
    pub label_de: &'static str,
    pub label_en: &'static str,
}

impl Term {
    pub fn label(&self, lang: &str) -> &'static str {
        if lang == "en" {
            self.label_en
        } else {
            self.label_de
        }
    }
}

const fn t(code: &'static str, label_de: &'static str, label_en: &'static str) -> Term {
    Term {
        code,
        label_de,
        label_en,
    }
}

/// The 13 EU data themes (`http://publications.europa.eu/resource/authority/data-theme/{code}`).
pub const THEMES: &[Term] = &[
    t(
        "AGRI",
        "Landwirtschaft, Fischerei, Forstwirtschaft und Nahrungsmittel",
        "Agriculture, fisheries, forestry and food",
    ),
    t("ECON", "Wirtschaft und Finanzen", "Economy and finance"),
    t(
        "EDUC",
        "Bildung, Kultur und Sport",
        "Education, culture and sport",
    ),
    t("ENER", "Energie", "Energy"),
    t("ENVI", "Umwelt", "Environment"),
    t(
        "GOVE",
        "Regierung und öffentlicher Sektor",
        "Government and public sector",
    ),
    t("HEAL", "Gesundheit", "Health"),
    t("INTR", "Internationale Themen", "International issues"),
    t(
        "JUST",
        "Justiz, Rechtssystem und öffentliche Sicherheit",
        "Justice, legal system and public safety",
    ),
    t("REGI", "Regionen und Städte", "Regions and cities"),
    t(
        "SOCI",
        "Bevölkerung und Gesellschaft",
        "Population and society",
    ),
    t(
        "TECH",
        "Wissenschaft und Technologie",
        "Science and technology",
    ),
    t("TRAN", "Verkehr", "Transport"),
];

/// EU frequency vocabulary (`…/authority/frequency/{code}`), the values municipal data uses.
pub const FREQUENCIES: &[Term] = &[
    t("CONT", "kontinuierlich", "continuous"),
    t("HOURLY", "stündlich", "hourly"),
    t("DAILY", "täglich", "daily"),
    t("WEEKLY", "wöchentlich", "weekly"),
    t("BIWEEKLY", "zweiwöchentlich", "biweekly"),
    t("MONTHLY", "monatlich", "monthly"),
    t("BIMONTHLY", "zweimonatlich", "bimonthly"),
    t("QUARTERLY", "vierteljährlich", "quarterly"),
    t("ANNUAL_2", "halbjährlich", "semiannual"),
    t("ANNUAL", "jährlich", "annual"),
    t("BIENNIAL", "zweijährlich", "biennial"),
    t("TRIENNIAL", "dreijährlich", "triennial"),
    t("IRREG", "unregelmäßig", "irregular"),
    t("NEVER", "nie", "never"),
    t("UNKNOWN", "unbekannt", "unknown"),
];

/// EU language authority codes (`…/authority/language/{code}`).
pub const LANGUAGES: &[Term] = &[
    t("DEU", "Deutsch", "German"),
    t("ENG", "Englisch", "English"),
    t("FRA", "Französisch", "French"),
    t("ITA", "Italienisch", "Italian"),
    t("TUR", "Türkisch", "Turkish"),
];

/// Publisher types; `adms` is the ADMS publisher type DCAT-AP.de expects on `foaf:Agent`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct OrgType {
    pub code: &'static str,
    pub label_de: &'static str,
    pub label_en: &'static str,
    pub adms: &'static str,
}

pub const ORG_TYPES: &[OrgType] = &[
    OrgType {
        code: "municipality",
        label_de: "Kommune",
        label_en: "Municipality",
        adms: "LocalAuthority",
    },
    OrgType {
        code: "public_body",
        label_de: "Öffentliche Einrichtung",
        label_en: "Public body",
        adms: "PublicBody",
    },
    OrgType {
        code: "company",
        label_de: "Unternehmen",
        label_en: "Company",
        adms: "Company",
    },
    OrgType {
        code: "university",
        label_de: "Hochschule / Forschung",
        label_en: "University / research",
        adms: "Academia-ScientificOrganisation",
    },
    OrgType {
        code: "association",
        label_de: "Verein / Initiative",
        label_en: "Association",
        adms: "NonProfitOrganisation",
    },
    OrgType {
        code: "other",
        label_de: "Sonstige",
        label_en: "Other",
        adms: "PrivateIndividual(s)",
    },
];

pub fn org_type(code: &str) -> Option<&'static OrgType> {
    ORG_TYPES.iter().find(|o| o.code == code)
}

/// A file type of the EU file-type vocabulary (`…/authority/file-type/{code}`) with the IANA
/// media type it is served as.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct FileType {
    pub code: &'static str,
    pub label: &'static str,
    pub media_type: &'static str,
    pub extensions: &'static [&'static str],
}

const fn ft(
    code: &'static str,
    label: &'static str,
    media_type: &'static str,
    extensions: &'static [&'static str],
) -> FileType {
    FileType {
        code,
        label,
        media_type,
        extensions,
    }
}

pub const FILE_TYPES: &[FileType] = &[
    ft("CSV", "CSV", "text/csv", &["csv"]),
    ft("TSV", "TSV", "text/tab-separated-values", &["tsv", "tab"]),
    ft("JSON", "JSON", "application/json", &["json"]),
    ft("GEOJSON", "GeoJSON", "application/geo+json", &["geojson"]),
    ft("XML", "XML", "application/xml", &["xml"]),
    ft(
        "XLSX",
        "Excel (XLSX)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &["xlsx"],
    ),
    ft("XLS", "Excel (XLS)", "application/vnd.ms-excel", &["xls"]),
    ft(
        "ODS",
        "OpenDocument Tabelle",
        "application/vnd.oasis.opendocument.spreadsheet",
        &["ods"],
    ),
    ft(
        "PARQUET",
        "Parquet",
        "application/vnd.apache.parquet",
        &["parquet"],
    ),
    ft("SHP", "Shapefile", "application/x-shapefile", &["shp"]),
    ft(
        "KML",
        "KML",
        "application/vnd.google-earth.kml+xml",
        &["kml"],
    ),
    ft("KMZ", "KMZ", "application/vnd.google-earth.kmz", &["kmz"]),
    ft(
        "GPKG",
        "GeoPackage",
        "application/geopackage+sqlite3",
        &["gpkg"],
    ),
    ft("GPX", "GPX", "application/gpx+xml", &["gpx"]),
    ft("GML", "GML", "application/gml+xml", &["gml"]),
    ft("PDF", "PDF", "application/pdf", &["pdf"]),
    ft("ZIP", "ZIP", "application/zip", &["zip"]),
    ft("TXT", "Text", "text/plain", &["txt"]),
    ft("HTML", "HTML", "text/html", &["html", "htm"]),
    ft("PNG", "PNG", "image/png", &["png"]),
    ft("JPEG", "JPEG", "image/jpeg", &["jpg", "jpeg"]),
    ft("SVG", "SVG", "image/svg+xml", &["svg"]),
    ft(
        "DOCX",
        "Word (DOCX)",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &["docx"],
    ),
    ft("RDF_TURTLE", "Turtle", "text/turtle", &["ttl"]),
    ft("RDF_XML", "RDF/XML", "application/rdf+xml", &["rdf"]),
    ft("JSON_LD", "JSON-LD", "application/ld+json", &["jsonld"]),
    ft("WMS_SRVC", "WMS", "application/vnd.ogc.wms_xml", &[]),
    ft("WFS_SRVC", "WFS", "application/vnd.ogc.wfs_xml", &[]),
    ft("BIN", "Binärdatei", "application/octet-stream", &["bin"]),
];

pub fn file_type(code: &str) -> Option<&'static FileType> {
    FILE_TYPES
        .iter()
        .find(|f| f.code.eq_ignore_ascii_case(code))
}

pub fn file_type_by_extension(ext: &str) -> Option<&'static FileType> {
    let ext = ext.to_ascii_lowercase();
    FILE_TYPES
        .iter()
        .find(|f| f.extensions.contains(&ext.as_str()))
}

pub fn theme(code: &str) -> Option<&'static Term> {
    THEMES.iter().find(|t| t.code == code)
}

pub fn frequency(code: &str) -> Option<&'static Term> {
    FREQUENCIES.iter().find(|t| t.code == code)
}

pub fn language(code: &str) -> Option<&'static Term> {
    LANGUAGES.iter().find(|t| t.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirteen_themes_and_known_licences() {
        assert_eq!(THEMES.len(), 13);
        for id in [
            "dl-by-de/2.0",
            "dl-zero-de/2.0",
            "cc-by/4.0",
            "cc-by-sa/4.0",
            "cc-zero",
            "officialWork",
        ] {
            let l = license(id).expect(id);
            assert!(!l.uri().ends_with('/'));
        }
    }
}
