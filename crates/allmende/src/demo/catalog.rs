//! What the demo catalog holds: the four publishers and their datasets, with generated
//! tables for Aalen and Heidenheim and real files of other municipalities (`demo/`).

use chrono::{Datelike, NaiveDate};

use super::generators::*;

pub(super) const SAMPLE_NOTE: &str = "\n\n*Beispieldaten der Allmende-Demo, nicht amtlich.*";

pub(super) struct Org {
    pub(super) slug: &'static str,
    pub(super) name: &'static str,
    pub(super) org_type: &'static str,
    pub(super) ags: Option<&'static str>,
    pub(super) website: &'static str,
    pub(super) email: &'static str,
    pub(super) description: &'static str,
}

pub(super) const ORGS: &[Org] = &[
    Org {
        slug: "stadt-aalen",
        name: "Stadt Aalen",
        org_type: "municipality",
        ags: Some("08136088"),
        website: "https://www.aalen.de",
        email: "opendata@aalen.de",
        description: "Große Kreisstadt im Ostalbkreis mit rund 68.000 Einwohnerinnen und Einwohnern.",
    },
    Org {
        slug: "stadt-heidenheim",
        name: "Stadt Heidenheim an der Brenz",
        org_type: "municipality",
        ags: Some("08135019"),
        website: "https://www.heidenheim.de",
        email: "opendata@heidenheim.de",
        description: "Große Kreisstadt und Sitz des Landkreises Heidenheim mit rund 50.000 Einwohnerinnen und Einwohnern.",
    },
    Org {
        slug: "stadtwerke-aalen",
        name: "Stadtwerke Aalen",
        org_type: "company",
        ags: Some("08136088"),
        website: "https://www.sw-aalen.de",
        email: "daten@sw-aalen.de",
        description: "Energie- und Wasserversorgung, Bäder und Parkhäuser in Aalen.",
    },
    Org {
        slug: "hochschule-aalen",
        name: "Hochschule Aalen",
        org_type: "university",
        ags: Some("08136088"),
        website: "https://www.hs-aalen.de",
        email: "opendata@hs-aalen.de",
        description: "Hochschule für Technik und Wirtschaft mit Forschungsschwerpunkten in Materialien, Photonik und Digitalisierung.",
    },
];

pub(super) struct File {
    pub(super) title: String,
    pub(super) name: String,
    pub(super) content: Vec<u8>,
}

pub(super) enum Res {
    File(File),
    Link {
        title: &'static str,
        url: &'static str,
        format: &'static str,
    },
}

pub(super) fn file(title: impl Into<String>, name: impl Into<String>, content: Vec<u8>) -> Res {
    Res::File(File {
        title: title.into(),
        name: name.into(),
        content,
    })
}

pub(super) struct Ds {
    pub(super) slug: &'static str,
    pub(super) org: &'static str,
    pub(super) title: String,
    pub(super) description: String,
    pub(super) themes: &'static [&'static str],
    pub(super) keywords: &'static [&'static str],
    pub(super) license: &'static str,
    pub(super) frequency: &'static str,
    pub(super) visibility: &'static str,
    pub(super) temporal: (Option<String>, Option<String>),
    /// When the dataset first appeared and when its data last changed (`dct:issued`,
    /// `dct:modified`), spread over past years as in a portal that has run for a while.
    pub(super) issued: Option<NaiveDate>,
    pub(super) modified: Option<NaiveDate>,
    pub(super) resources: Vec<Res>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn ds(
    slug: &'static str,
    org: &'static str,
    title: impl Into<String>,
    description: &str,
    themes: &'static [&'static str],
    keywords: &'static [&'static str],
    license: &'static str,
    frequency: &'static str,
    resources: Vec<Res>,
) -> Ds {
    Ds {
        slug,
        org,
        title: title.into(),
        description: description.to_string(),
        themes,
        keywords,
        license,
        frequency,
        visibility: "public",
        temporal: (None, None),
        issued: None,
        modified: None,
        resources,
    }
}

pub(super) fn real(name: &'static str) -> Vec<u8> {
    match name {
        "aalen_parking_occupancy.json" => {
            include_bytes!("../../demo/aalen_parking_occupancy.json").to_vec()
        }
        "bietigheim_bissingen_parking_latin1_epochms.csv" => {
            include_bytes!("../../demo/bietigheim_bissingen_parking_latin1_epochms.csv").to_vec()
        }
        "koeln_gesamtergebnisplan_thousands_dots.csv" => {
            include_bytes!("../../demo/koeln_gesamtergebnisplan_thousands_dots.csv").to_vec()
        }
        "muenster_owi_ruhender_verkehr_bom_semicolon.csv" => {
            include_bytes!("../../demo/muenster_owi_ruhender_verkehr_bom_semicolon.csv").to_vec()
        }
        "ulm_sensors_realtime_parking_sites.json" => {
            include_bytes!("../../demo/ulm_sensors_realtime_parking_sites.json").to_vec()
        }
        "muenster_wetter_taeglich_serialdates.xlsx" => {
            include_bytes!("../../demo/muenster_wetter_taeglich_serialdates.xlsx").to_vec()
        }
        "neckarsulm_parking_ewkb_hex.csv" => {
            include_bytes!("../../demo/neckarsulm_parking_ewkb_hex.csv").to_vec()
        }
        _ => Vec::new(),
    }
}

pub(super) const AALEN: (f64, f64) = (48.8375, 10.0933);
pub(super) const HDH: (f64, f64) = (48.6767, 10.1511);

/// The demo's calendar, derived from the day it is seeded so that it looks kept up to date:
/// the last published population year, the last complete month, yesterday, school years.
pub(super) struct Clock {
    pub(super) today: NaiveDate,
}

impl Clock {
    fn days_ago(&self, n: i64) -> NaiveDate {
        self.today - chrono::Duration::days(n)
    }
    /// Residents at 31 December are published in spring of the next year.
    fn population_year(&self) -> i32 {
        self.today.year() - if self.today.month() >= 4 { 1 } else { 2 }
    }
    /// Monthly figures appear on the 7th of the next month: the last month published and
    /// the day it was.
    fn monthly_release(&self) -> NaiveDate {
        let first = self.today.with_day(1).unwrap_or(self.today);
        let this_month = first + chrono::Duration::days(6);
        if this_month <= self.today {
            this_month
        } else {
            let previous = (first - chrono::Duration::days(1))
                .with_day(1)
                .unwrap_or(first);
            previous + chrono::Duration::days(6)
        }
    }
    fn last_month(&self) -> NaiveDate {
        let release = self.monthly_release();
        (release.with_day(1).unwrap_or(release) - chrono::Duration::days(1))
            .with_day(1)
            .unwrap_or(release)
    }
    fn yesterday(&self) -> NaiveDate {
        self.days_ago(1)
    }
    /// The winter semester that began last (they start on 1 October; counts by mid-November).
    fn winter_semester(&self) -> i32 {
        self.today.year() - i32::from(self.today.month() < 12)
    }
    /// The school year whose statistics day (mid-October) has passed.
    fn school_year(&self) -> i32 {
        self.today.year() - i32::from(self.today.month() < 11)
    }
    fn date(&self, y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap_or(self.today)
            .min(self.today)
    }
}

/// When each dataset appeared and last changed: (days ago issued, modified).
fn dates(slug: &str, c: &Clock) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let pop = c.date(c.population_year() + 1, 3, 14);
    let (issued, modified) = match slug {
        "bevoelkerung-aalen-stadtbezirke" => (c.days_ago(2380), pop),
        "bevoelkerung-heidenheim-stadtteile" => (c.days_ago(1905), pop),
        "baumkataster-aalen" => (c.days_ago(1510), c.days_ago(12)),
        "haushaltsplan-aalen-2025" => (c.date(2025, 2, 20), c.date(2025, 2, 20)),
        "parkhaeuser-aalen-belegung" => (c.days_ago(905), c.days_ago(230)),
        "ladesaeulen-aalen" => (c.days_ago(700), c.days_ago(19)),
        "kitas-heidenheim" => (c.days_ago(1300), c.days_ago(95)),
        "schulen-aalen" => (c.days_ago(1105), c.date(c.school_year(), 11, 18)),
        "gemeinderatswahl-heidenheim-2024" => (c.date(2024, 6, 14), c.date(2024, 6, 14)),
        "stromverbrauch-aalen" => (c.days_ago(1000), c.monthly_release()),
        "trinkwasserqualitaet-aalen" => (c.days_ago(1210), c.days_ago(40)),
        "luftqualitaet-aalen" => (c.days_ago(800), c.today),
        "radverkehr-heidenheim" => (c.days_ago(610), c.today),
        "oepnv-fahrplan-ostalb" => (c.days_ago(1400), c.days_ago(4)),
        "sportstaetten-heidenheim" => (c.days_ago(1010), c.days_ago(150)),
        "friedhoefe-aalen" => (c.days_ago(1600), c.days_ago(400)),
        "gewerbeanmeldungen-aalen" => (c.days_ago(950), c.monthly_release()),
        "bebauungsplaene-aalen" => (c.days_ago(45), c.days_ago(45)),
        "feuerwehreinsaetze-heidenheim" => (c.days_ago(880), c.monthly_release()),
        "studierende-hochschule-aalen" => (c.days_ago(1250), c.date(c.winter_semester(), 11, 20)),
        "forschungsprojekte-hochschule-aalen" => (c.days_ago(500), c.days_ago(70)),
        "pegel-brenz-heidenheim" => (c.days_ago(700), c.today),
        "stadtbibliothek-heidenheim-ausleihen" => (c.days_ago(850), c.monthly_release()),
        "wlan-hotspots-aalen" => (c.days_ago(1100), c.days_ago(300)),
        "abfallkalender-aalen" => (c.days_ago(1700), c.date(c.today.year() - 1, 12, 1)),
        "defibrillatoren-heidenheim" => (c.days_ago(400), c.days_ago(120)),
        "radrouten-heidenheim" => (c.days_ago(90), c.days_ago(90)),
        "streuobstwiesen-aalen" => (c.days_ago(650), c.days_ago(200)),
        "staedtepartnerschaften-heidenheim" => (c.days_ago(1800), c.days_ago(1800)),
        "lehrdaten-haushalte-kommunen" => (c.days_ago(1450), c.days_ago(1450)),
        "lehrdaten-parkraum-bw" => (c.days_ago(1420), c.days_ago(1420)),
        "lehrdaten-muenster-verkehr-wetter" => (c.days_ago(1400), c.days_ago(1400)),
        "verkehrszaehlung-2025-rohdaten" => (c.days_ago(30), c.days_ago(10)),
        _ => return (None, None),
    };
    (Some(issued), Some(modified.max(issued)))
}

pub(super) fn datasets(clock: &Clock) -> Vec<Ds> {
    let n = SAMPLE_NOTE;
    let c = clock;
    let pop_year = c.population_year();
    let pop_first = pop_year - 5;
    let school = c.school_year();
    let ws = c.winter_semester();
    let waste_year = c.today.year();
    let mut v = vec![
        ds("bevoelkerung-aalen-stadtbezirke", "stadt-aalen", "Bevölkerung nach Stadtbezirken – Aalen",
            &format!("Einwohnerzahlen der acht Aalener Stadtbezirke zum 31.12. eines Jahres, mit Anteilen junger und älterer Menschen.\n\nQuelle: Einwohnermeldeamt, Stichtag jeweils 31.12.{n}"),
            &["SOCI", "REGI"], &["Bevölkerung", "Einwohner", "Stadtbezirke", "Demografie"], "dl-by-de/2.0", "ANNUAL",
            vec![file(format!("Einwohner nach Stadtbezirk {pop_first}–{pop_year} (CSV)"), format!("bevoelkerung_aalen_{pop_first}_{pop_year}.csv"), population_csv(1, AALEN_DISTRICTS, pop_year))]),
        ds("bevoelkerung-heidenheim-stadtteile", "stadt-heidenheim", "Bevölkerung nach Stadtteilen – Heidenheim an der Brenz",
            &format!("Einwohnerzahlen der Heidenheimer Stadtteile, jährlich zum Jahresende.{n}"),
            &["SOCI", "REGI"], &["Bevölkerung", "Einwohner", "Stadtteile"], "dl-by-de/2.0", "ANNUAL",
            vec![file(format!("Einwohner nach Stadtteil {pop_first}–{pop_year} (CSV)"), format!("bevoelkerung_heidenheim_{pop_first}_{pop_year}.csv"), population_csv(2, HDH_DISTRICTS, pop_year))]),
        ds("baumkataster-aalen", "stadt-aalen", "Baumkataster Aalen",
            &format!("Straßenbäume im Stadtgebiet mit Baumart, Pflanzjahr, Stammumfang und Standort (WGS 84).\n\nDas Grünflächenamt pflegt das Kataster laufend.{n}"),
            &["ENVI"], &["Bäume", "Stadtgrün", "Baumkataster", "Umwelt"], "cc-by/4.0", "MONTHLY",
            vec![file("Baumkataster (CSV)", "baumkataster_aalen.csv", trees_csv())]),
        ds("haushaltsplan-aalen-2025", "stadt-aalen", "Haushaltsplan 2025 – Ergebnishaushalt",
            &format!("Erträge und Aufwendungen der Teilhaushalte des Ergebnishaushalts 2025 in Euro.\n\nDie Datei ist – wie viele Exporte aus Finanzverfahren – in **Windows-1252** kodiert und nutzt Tausenderpunkte und Dezimalkommas.{n}"),
            &["GOVE", "ECON"], &["Haushalt", "Haushaltsplan", "Finanzen", "Doppik"], "dl-zero-de/2.0", "ANNUAL",
            vec![file("Ergebnishaushalt 2025 (CSV)", "haushalt_aalen_2025.csv", budget_csv())]),
        ds("parkhaeuser-aalen-belegung", "stadtwerke-aalen", "Parkhausbelegung Aalen (Momentaufnahme)",
            "Belegung der Parkhäuser und Parkplätze des Aalener Parkleitsystems: freie und belegte Stellplätze je Anlage.\n\nEchte Momentaufnahme aus dem Parkleitsystem (über ParkAPI, ParkenDD); die laufend aktualisierten Werte zeigt das Parkleitsystem.",
            &["TRAN"], &["Parken", "Parkhaus", "Parkleitsystem"], "dl-by-de/2.0", "IRREG",
            vec![file("Belegung (JSON)", "aalen_parking_occupancy.json", real("aalen_parking_occupancy.json"))]),
        ds("ladesaeulen-aalen", "stadtwerke-aalen", "Ladesäulen für Elektrofahrzeuge",
            &format!("Öffentlich zugängliche Ladepunkte der Stadtwerke Aalen mit Steckertyp und Ladeleistung.{n}"),
            &["ENER", "TRAN"], &["Ladesäule", "E-Mobilität", "Elektroauto"], "cc-by/4.0", "MONTHLY",
            vec![file("Ladesäulen (GeoJSON)", "ladesaeulen_aalen.geojson", points_geojson(3, AALEN, 24, "Ladepunkt", &[("Stecker", &["Typ 2", "CCS", "CHAdeMO"]), ("Leistung_kW", &["11", "22", "50", "150"])]))]),
        ds("kitas-heidenheim", "stadt-heidenheim", "Kindertageseinrichtungen in Heidenheim",
            &format!("Kitas und Kindergärten mit Träger, Anzahl der Plätze und Betreuungsform.{n}"),
            &["EDUC", "SOCI"], &["Kita", "Kindergarten", "Kinderbetreuung"], "dl-by-de/2.0", "ANNUAL",
            vec![file("Kitas (CSV)", "kitas_heidenheim.csv", list_csv("Name;Träger;Stadtteil;Plätze;Ganztag", &[
                "Kita Sonnenschein;Stadt Heidenheim;Innenstadt;75;ja", "Kindergarten St. Maria;Kath. Kirchengemeinde;Mergelstetten;50;nein",
                "Kinderhaus Brenzpark;Stadt Heidenheim;Innenstadt;90;ja", "Waldkindergarten Schnaitheim;Verein Waldkinder e. V.;Schnaitheim;20;nein",
                "Kita Zanger Berg;Ev. Kirchengemeinde;Zanger Berg;60;ja", "Kindergarten Großkuchen;Stadt Heidenheim;Großkuchen;45;nein",
                "Kita Voithsiedlung;AWO;Voithsiedlung;55;ja", "Kinderkrippe Regenbogen;Stadt Heidenheim;Reutenen;30;ja",
            ]))]),
        ds("schulen-aalen", "stadt-aalen", "Schulen in Aalen",
            &format!("Allgemeinbildende und berufliche Schulen mit Schulart und Schülerzahl des Schuljahres {school}/{:02}.{n}", (school + 1) % 100),
            &["EDUC"], &["Schule", "Bildung", "Schülerzahlen"], "dl-by-de/2.0", "ANNUAL",
            vec![file("Schulen (CSV)", "schulen_aalen.csv", list_csv(&format!("Schule;Schulart;Stadtbezirk;Schüler {school}/{:02}", (school + 1) % 100), &[
                "Schubart-Gymnasium;Gymnasium;Aalen (Kernstadt);1012", "Theodor-Heuss-Gymnasium;Gymnasium;Aalen (Kernstadt);987",
                "Kopernikus-Gymnasium;Gymnasium;Wasseralfingen;802", "Uhland-Realschule;Realschule;Aalen (Kernstadt);540",
                "Karl-Kessler-Realschule;Realschule;Wasseralfingen;611", "Greutschule;Grundschule;Aalen (Kernstadt);233",
                "Grundschule Unterkochen;Grundschule;Unterkochen;187", "Technische Schule Aalen;Berufliche Schule;Aalen (Kernstadt);1840",
            ]))]),
        ds("gemeinderatswahl-heidenheim-2024", "stadt-heidenheim", "Gemeinderatswahl 2024 – Ergebnisse nach Wahlbezirk",
            &format!("Wahlberechtigte, Wählende und Stimmen je Wahlvorschlag in den Wahlbezirken bei der Gemeinderatswahl am 9. Juni 2024. Jede Wählerin und jeder Wähler hatte 32 Stimmen (Kumulieren und Panaschieren), daher übersteigen die Stimmen die Zahl der Wählenden um ein Vielfaches.{n}"),
            &["GOVE"], &["Wahl", "Gemeinderat", "Kommunalwahl", "Wahlergebnis"], "dl-zero-de/2.0", "NEVER",
            vec![file("Stimmen je Wahlbezirk (CSV)", "gemeinderatswahl_2024.csv", election_csv())]),
        ds("stromverbrauch-aalen", "stadtwerke-aalen", "Stromabgabe im Netzgebiet Aalen",
            &format!("Monatliche Stromabgabe an Letztverbraucher im Netz der Stadtwerke Aalen in MWh.{n}"),
            &["ENER"], &["Strom", "Energie", "Verbrauch"], "cc-by/4.0", "MONTHLY",
            vec![file("Stromabgabe der letzten 36 Monate (CSV)", "stromabgabe_aalen.csv", monthly_csv(5, "Stromabgabe (MWh)", (18_000.0, 31_000.0), 1, c.last_month(), true))]),
        ds("trinkwasserqualitaet-aalen", "stadtwerke-aalen", "Trinkwasseranalyse Aalen",
            &format!("Chemische und mikrobiologische Kennwerte des Trinkwassers nach Trinkwasserverordnung, je Versorgungszone.{n}"),
            &["HEAL", "ENVI"], &["Trinkwasser", "Wasserhärte", "Wasserqualität"], "dl-by-de/2.0", "QUARTERLY",
            vec![file("Analysewerte (CSV)", "trinkwasser_aalen.csv", list_csv("Versorgungszone;Parameter;Einheit;Messwert;Grenzwert", &[
                "Aalen-Mitte;Gesamthärte;°dH;14,2;", "Aalen-Mitte;Nitrat;mg/l;12,5;50", "Aalen-Mitte;pH-Wert;;7,6;6,5–9,5",
                "Wasseralfingen;Gesamthärte;°dH;16,8;", "Wasseralfingen;Nitrat;mg/l;9,1;50", "Unterkochen;Gesamthärte;°dH;13,4;",
                "Unterkochen;E. coli;KBE/100 ml;0;0", "Ebnat;Calcium;mg/l;98;",
            ]))]),
        ds("luftqualitaet-aalen", "stadt-aalen", "Luftqualität – Messstation Aalen",
            &format!("Tagesmittelwerte für Stickstoffdioxid, Feinstaub PM10 und Ozon in µg/m³.{n}"),
            &["ENVI", "HEAL"], &["Luft", "Feinstaub", "Stickstoffdioxid", "Umwelt"], "dl-by-de/2.0", "DAILY",
            vec![file("Tagesmittelwerte der letzten 120 Tage (CSV)", "luftqualitaet_aalen.csv", daily_csv(6, "NO2 (µg/m³);PM10 (µg/m³);O3 (µg/m³)", 3, (5, 70), c.yesterday()))]),
        ds("radverkehr-heidenheim", "stadt-heidenheim", "Radverkehrszählung Heidenheim",
            &format!("Tägliche Zählwerte der Dauerzählstellen für den Radverkehr an der Brenz und in der Innenstadt.{n}"),
            &["TRAN"], &["Radverkehr", "Fahrrad", "Verkehrszählung"], "cc-by/4.0", "DAILY",
            vec![file("Zählwerte (CSV)", "radverkehr_heidenheim.csv", daily_csv(7, "Brenzuferweg;Olgastraße;Schnaitheimer Straße", 3, (80, 1900), c.yesterday()))]),
        ds("oepnv-fahrplan-ostalb", "stadt-aalen", "Fahrplandaten ÖPNV Ostalb (GTFS)",
            "Soll-Fahrplandaten des Nahverkehrs im Ostalbkreis im Format GTFS, bereitgestellt über die landesweite Datenplattform.",
            &["TRAN"], &["ÖPNV", "Nahverkehr", "Fahrplan", "GTFS", "Bus"], "dl-by-de/2.0", "WEEKLY",
            vec![Res::Link { title: "GTFS-Datensatz Baden-Württemberg (ZIP)", url: "https://www.nvbw.de/open-data/haltestellen", format: "ZIP" }]),
        ds("sportstaetten-heidenheim", "stadt-heidenheim", "Sportstätten in Heidenheim",
            &format!("Sporthallen, Sportplätze und Bäder mit Art und Nutzung.{n}"),
            &["EDUC", "HEAL"], &["Sport", "Sporthalle", "Schwimmbad"], "dl-by-de/2.0", "ANNUAL",
            vec![file("Sportstätten (GeoJSON)", "sportstaetten_heidenheim.geojson", points_geojson(8, HDH, 18, "Sportstätte", &[("Art", &["Sporthalle", "Sportplatz", "Hallenbad", "Tennisplatz"])]))]),
        ds("friedhoefe-aalen", "stadt-aalen", "Friedhöfe in Aalen",
            &format!("Städtische Friedhöfe mit Fläche und Bestattungsarten.{n}"),
            &["REGI"], &["Friedhof", "Bestattung"], "dl-zero-de/2.0", "IRREG",
            vec![file("Friedhöfe (CSV)", "friedhoefe_aalen.csv", list_csv("Friedhof;Stadtbezirk;Fläche (ha);Urnengräber;Baumbestattung", &[
                "Waldfriedhof;Aalen (Kernstadt);12,4;ja;ja", "Friedhof Wasseralfingen;Wasseralfingen;5,1;ja;nein",
                "Friedhof Unterkochen;Unterkochen;3,2;ja;ja", "Friedhof Ebnat;Ebnat;1,1;ja;nein",
            ]))]),
        ds("gewerbeanmeldungen-aalen", "stadt-aalen", "Gewerbean- und -abmeldungen",
            &format!("Monatliche Zahl der Gewerbeanmeldungen in Aalen.{n}"),
            &["ECON"], &["Gewerbe", "Wirtschaft", "Gründungen"], "dl-by-de/2.0", "MONTHLY",
            vec![file("Anmeldungen je Monat (CSV)", "gewerbeanmeldungen_aalen.csv", monthly_csv(9, "Anmeldungen", (40.0, 120.0), 0, c.last_month(), false))]),
        ds("bebauungsplaene-aalen", "stadt-aalen", "Bebauungspläne Aalen",
            "Geltungsbereiche der rechtskräftigen Bebauungspläne mit Plannummer, Art der baulichen Nutzung und Datum der Rechtskraft, dazu der Kartendienst (WMS) des Stadtplanungsamts.",
            &["REGI"], &["Bebauungsplan", "Bauleitplanung", "Stadtplanung", "Geodaten"], "dl-by-de/2.0", "IRREG",
            vec![
                file("Geltungsbereiche (GeoJSON, ETRS89 / UTM 32N)", "geltungsbereiche_bplan_aalen.geojson", plan_areas_geojson()),
                Res::Link { title: "Kartendienst Bebauungspläne (WMS)", url: "https://geoportal.aalen.de/wms/bplan?SERVICE=WMS&REQUEST=GetCapabilities", format: "WMS_SRVC" },
            ]),
        ds("feuerwehreinsaetze-heidenheim", "stadt-heidenheim", "Einsätze der Feuerwehr Heidenheim",
            &format!("Einsätze der Freiwilligen Feuerwehr nach Monat.{n}"),
            &["JUST"], &["Feuerwehr", "Einsätze", "Sicherheit"], "dl-zero-de/2.0", "ANNUAL",
            vec![file("Einsätze je Monat (CSV)", "feuerwehr_heidenheim.csv", monthly_csv(10, "Einsätze", (35.0, 110.0), 0, c.last_month(), false))]),
        ds("studierende-hochschule-aalen", "hochschule-aalen", "Studierende der Hochschule Aalen",
            &format!("Zahl der Studierenden je Fakultät im Wintersemester.{n}"),
            &["EDUC", "TECH"], &["Hochschule", "Studierende", "Studium"], "cc-by/4.0", "ANNUAL",
            vec![file("Studierende je Fakultät (CSV)", "studierende_hs_aalen.csv", list_csv(&(ws - 2..=ws).fold("Fakultät".to_string(), |h, y| format!("{h};WS {y}/{:02}", (y + 1) % 100)), &[
                "Chemie;412;398;405", "Elektronik und Informatik;1310;1288;1302", "Maschinenbau und Werkstofftechnik;1540;1497;1476",
                "Optik und Mechatronik;890;902;911", "Wirtschaftswissenschaften;1820;1795;1810", "Gesundheit und Soziales;640;668;702",
            ]))]),
        ds("forschungsprojekte-hochschule-aalen", "hochschule-aalen", "Forschungsprojekte der Hochschule Aalen",
            &format!("Laufende Forschungsprojekte mit Fördergeber, Laufzeit und Fördersumme.{n}"),
            &["TECH"], &["Forschung", "Projekte", "Innovation"], "cc-by/4.0", "QUARTERLY",
            vec![file("Projekte (JSON)", "forschungsprojekte.json", serde_json::to_vec_pretty(&serde_json::json!([
                {"projekt": "Photonik für Präzisionsmesstechnik", "foerdergeber": "BMBF", "beginn": "2023-04-01", "ende": "2026-03-31", "foerdersumme_eur": 1250000},
                {"projekt": "Recycling von Seltenerdmagneten", "foerdergeber": "Land Baden-Württemberg", "beginn": "2024-01-01", "ende": "2026-12-31", "foerdersumme_eur": 780000},
                {"projekt": "KI-gestützte Pflegedokumentation", "foerdergeber": "EU Horizon Europe", "beginn": "2022-09-01", "ende": "2025-08-31", "foerdersumme_eur": 2100000}
            ])).unwrap_or_default())]),
        ds("pegel-brenz-heidenheim", "stadt-heidenheim", "Wasserstand der Brenz",
            &format!("Tageswerte des Pegels an der Brenz in Heidenheim (cm über Pegelnull).{n}"),
            &["ENVI"], &["Brenz", "Pegel", "Hochwasser", "Gewässer"], "dl-by-de/2.0", "DAILY",
            vec![file("Pegel Tageswerte (CSV)", "pegel_brenz.csv", daily_csv(12, "Wasserstand (cm)", 1, (40, 190), c.yesterday()))]),
        ds("stadtbibliothek-heidenheim-ausleihen", "stadt-heidenheim", "Ausleihen der Stadtbibliothek",
            &format!("Monatliche Ausleihen der Stadtbibliothek Heidenheim, gedruckt und digital.{n}"),
            &["EDUC"], &["Bibliothek", "Ausleihen", "Kultur"], "cc-zero", "MONTHLY",
            vec![file("Ausleihen je Monat (CSV)", "bibliothek_ausleihen.csv", monthly_csv(13, "Ausleihen", (9000.0, 16000.0), 0, c.last_month(), false))]),
        ds("wlan-hotspots-aalen", "stadtwerke-aalen", "Öffentliche WLAN-Hotspots",
            &format!("Standorte des freien Stadt-WLANs.{n}"),
            &["TECH", "REGI"], &["WLAN", "Internet", "Digitalisierung"], "cc-zero", "IRREG",
            vec![file("Hotspots (GeoJSON)", "wlan_hotspots_aalen.geojson", points_geojson(14, AALEN, 15, "Hotspot", &[("Betreiber", &["Stadtwerke Aalen"])]))]),
        ds("abfallkalender-aalen", "stadt-aalen", "Abfuhrtermine Aalen",
            &format!("Abfuhrtermine für Restmüll, Bioabfall, Papier und Gelben Sack je Abfuhrbezirk.{n}"),
            &["ENVI"], &["Abfall", "Müllabfuhr", "Abfallkalender"], "dl-zero-de/2.0", "ANNUAL",
            vec![file(format!("Abfuhrtermine {waste_year} (CSV)"), format!("abfuhrtermine_aalen_{waste_year}.csv"), waste_calendar_csv(waste_year))]),
        ds("defibrillatoren-heidenheim", "stadt-heidenheim", "Standorte öffentlicher Defibrillatoren (AED)",
            &format!("Öffentlich zugängliche automatisierte externe Defibrillatoren mit Zugangszeiten.{n}"),
            &["HEAL"], &["Defibrillator", "AED", "Erste Hilfe", "Gesundheit"], "cc-zero", "IRREG",
            vec![file("AED-Standorte (GeoJSON)", "aed_heidenheim.geojson", points_geojson(16, HDH, 12, "AED", &[("Zugang", &["24/7", "Öffnungszeiten"])]))]),
        ds("radrouten-heidenheim", "stadt-heidenheim", "Radrouten in Heidenheim",
            &format!("Ausgeschilderte Radrouten im Stadtgebiet als GPS-Tracks (GPX) für Navigations-Apps und Radcomputer.{n}"),
            &["TRAN", "EDUC"], &["Radverkehr", "Radweg", "Tourismus", "GPS"], "dl-by-de/2.0", "IRREG",
            vec![file("Radrouten (GPX)", "radrouten_heidenheim.gpx", cycle_routes_gpx())]),
        ds("streuobstwiesen-aalen", "stadt-aalen", "Streuobstwiesen im Stadtgebiet",
            &format!("Kartierte Streuobstbestände mit Anzahl der Bäume und Pflegezustand.{n}"),
            &["AGRI", "ENVI"], &["Streuobst", "Landwirtschaft", "Naturschutz"], "cc-by/4.0", "ANNUAL",
            vec![file("Streuobstwiesen (GeoJSON)", "streuobst_aalen.geojson", points_geojson(17, AALEN, 20, "Streuobstwiese", &[("Pflegezustand", &["gut", "mittel", "schlecht"])]))]),
        ds("staedtepartnerschaften-heidenheim", "stadt-heidenheim", "Städtepartnerschaften Heidenheim",
            &format!("Partnerstädte Heidenheims mit Land und Jahr der Partnerschaft.{n}"),
            &["INTR"], &["Städtepartnerschaft", "International"], "cc-zero", "NEVER",
            vec![file("Partnerstädte (CSV)", "partnerstaedte.csv", list_csv("Stadt;Land;seit", &[
                "Newport;Vereinigtes Königreich;1981", "Clichy;Frankreich;1958", "Sisak;Kroatien;1987", "Döbeln;Deutschland;1990", "Jihlava;Tschechien;2002",
            ]))]),
        ds("lehrdaten-haushalte-kommunen", "hochschule-aalen", "Lehrdaten: Haushaltsdaten anderer Kommunen",
            "Originaldateien aus offenen Haushaltsdaten anderer Städte für Übungen zur Datenaufbereitung: Tausenderpunkte, negative Beträge, nummerierte Zeilenbezeichnungen.\n\nQuelle: Stadt Köln, Gesamtergebnisplan (KoelnAPI/data, CC BY).",
            &["ECON", "EDUC"], &["Haushalt", "Lehre", "Datenaufbereitung"], "cc-by/4.0", "NEVER",
            vec![file("Köln: Gesamtergebnisplan (CSV)", "koeln_gesamtergebnisplan.csv", real("koeln_gesamtergebnisplan_thousands_dots.csv"))]),
        ds("lehrdaten-parkraum-bw", "hochschule-aalen", "Lehrdaten: Parkraumdaten baden-württembergischer Städte",
            "Echte Parkdaten aus Ulm, Neckarsulm und Bietigheim-Bissingen in ihren Originalformaten (JSON, CSV mit Hex-EWKB-Geometrie, ISO-8859-1 mit Zeitstempeln in Millisekunden) für Übungen im Studiengang Informatik.\n\nQuelle: ParkAPI (ParkenDD, parkapi-sources-v3).",
            &["TRAN", "EDUC"], &["Parken", "Lehre", "Datenformate"], "other-open", "NEVER",
            vec![
                file("Ulm: Parkhäuser mit Sensoren (JSON)", "ulm_parking_sites.json", real("ulm_sensors_realtime_parking_sites.json")),
                file("Neckarsulm: Parkierungsanlagen (CSV)", "neckarsulm_parking.csv", real("neckarsulm_parking_ewkb_hex.csv")),
                file("Bietigheim-Bissingen: Parkhäuser (CSV, ISO-8859-1)", "bietigheim_parking.csv", real("bietigheim_bissingen_parking_latin1_epochms.csv")),
            ]),
        ds("lehrdaten-muenster-verkehr-wetter", "hochschule-aalen", "Lehrdaten: Wetter und Ordnungswidrigkeiten in Münster",
            "Tägliche Wetterdaten (Excel mit Datumswerten als Seriennummern) und Ordnungswidrigkeiten im ruhenden Verkehr (CSV mit BOM) der Stadt Münster.\n\nQuelle: Code for Münster, open-data.",
            &["ENVI", "JUST"], &["Wetter", "Verkehr", "Lehre"], "other-open", "NEVER",
            vec![
                file("Wetter täglich 2016–2017 (XLSX)", "muenster_wetter.xlsx", real("muenster_wetter_taeglich_serialdates.xlsx")),
                file("Ordnungswidrigkeiten ruhender Verkehr (CSV)", "muenster_owi.csv", real("muenster_owi_ruhender_verkehr_bom_semicolon.csv")),
            ]),
    ];
    let mut private = ds(
        "verkehrszaehlung-2025-rohdaten",
        "stadt-aalen",
        "Verkehrszählung 2025 – Rohdaten (intern)",
        "Unbereinigte Zählwerte der Verkehrszählung 2025. Nur für die Verwaltung, bis die Plausibilisierung abgeschlossen ist.",
        &["TRAN"],
        &["Verkehrszählung", "intern"],
        "dl-by-de/2.0",
        "IRREG",
        vec![file(
            "Rohdaten (CSV)",
            "verkehrszaehlung_2025_roh.csv",
            daily_csv(
                18,
                "Zählstelle 1;Zählstelle 2",
                2,
                (200, 9000),
                c.days_ago(10),
            ),
        )],
    );
    private.visibility = "private";
    let mut draft = ds(
        "mietspiegel-heidenheim-2026",
        "stadt-heidenheim",
        "Mietspiegel 2026 (Entwurf)",
        "Entwurf des qualifizierten Mietspiegels 2026; wird nach Beschluss des Gemeinderats veröffentlicht.",
        &["SOCI", "ECON"],
        &["Mietspiegel", "Wohnen", "Entwurf"],
        "dl-by-de/2.0",
        "BIENNIAL",
        vec![],
    );
    draft.visibility = "draft";
    draft.temporal = (Some("2026-01-01".into()), Some("2027-12-31".into()));
    for d in &mut v[..2] {
        d.temporal = (
            Some(format!("{pop_first}-01-01")),
            Some(format!("{pop_year}-12-31")),
        );
    }
    v[3].temporal = (Some("2025-01-01".into()), Some("2025-12-31".into()));
    v.push(private);
    v.push(draft);
    for d in &mut v {
        (d.issued, d.modified) = dates(d.slug, c);
    }
    // Seeded oldest first, so that "newest" means newest and the teaching collection (the
    // portal's first datasets) does not head the home page.
    v.sort_by_key(|d| d.issued.unwrap_or(c.today));
    v
}
