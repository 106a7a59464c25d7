//! What the demo catalog holds: the four publishers and their datasets, with generated
//! tables for Aalen and Heidenheim and real files of other municipalities (`demo/`).

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
        description: "Große Kreisstadt und Sitz des Landkreises Heidenheim an der Brenz.",
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
    pub(super) title: &'static str,
    pub(super) name: &'static str,
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

pub(super) fn file(title: &'static str, name: &'static str, content: Vec<u8>) -> Res {
    Res::File(File {
        title,
        name,
        content,
    })
}

pub(super) struct Ds {
    pub(super) slug: &'static str,
    pub(super) org: &'static str,
    pub(super) title: &'static str,
    pub(super) description: String,
    pub(super) themes: &'static [&'static str],
    pub(super) keywords: &'static [&'static str],
    pub(super) license: &'static str,
    pub(super) frequency: &'static str,
    pub(super) visibility: &'static str,
    pub(super) temporal: (Option<&'static str>, Option<&'static str>),
    pub(super) resources: Vec<Res>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn ds(
    slug: &'static str,
    org: &'static str,
    title: &'static str,
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
        title,
        description: description.to_string(),
        themes,
        keywords,
        license,
        frequency,
        visibility: "public",
        temporal: (None, None),
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

pub(super) fn datasets() -> Vec<Ds> {
    let n = SAMPLE_NOTE;
    let mut v = vec![
        ds("bevoelkerung-aalen-stadtbezirke", "stadt-aalen", "Bevölkerung nach Stadtbezirken – Aalen",
            &format!("Einwohnerzahlen der acht Aalener Stadtbezirke zum 31.12. eines Jahres, mit Anteilen junger und älterer Menschen.\n\nQuelle: Einwohnermeldeamt, Stichtag jeweils 31.12.{n}"),
            &["SOCI", "REGI"], &["Bevölkerung", "Einwohner", "Stadtbezirke", "Demografie"], "dl-by-de/2.0", "ANNUAL",
            vec![file("Einwohner nach Stadtbezirk 2019–2024 (CSV)", "bevoelkerung_aalen_2019_2024.csv", population_csv(1, AALEN_DISTRICTS))]),
        ds("bevoelkerung-heidenheim-stadtteile", "stadt-heidenheim", "Bevölkerung nach Stadtteilen – Heidenheim an der Brenz",
            &format!("Einwohnerzahlen der Heidenheimer Stadtteile, jährlich zum Jahresende.{n}"),
            &["SOCI", "REGI"], &["Bevölkerung", "Einwohner", "Stadtteile"], "dl-by-de/2.0", "ANNUAL",
            vec![file("Einwohner nach Stadtteil 2019–2024 (CSV)", "bevoelkerung_heidenheim_2019_2024.csv", population_csv(2, HDH_DISTRICTS))]),
        ds("baumkataster-aalen", "stadt-aalen", "Baumkataster Aalen",
            &format!("Straßenbäume im Stadtgebiet mit Baumart, Pflanzjahr, Stammumfang und Standort (WGS 84).\n\nDas Grünflächenamt pflegt das Kataster laufend.{n}"),
            &["ENVI"], &["Bäume", "Stadtgrün", "Baumkataster", "Umwelt"], "cc-by/4.0", "MONTHLY",
            vec![file("Baumkataster (CSV)", "baumkataster_aalen.csv", trees_csv())]),
        ds("haushaltsplan-aalen-2025", "stadt-aalen", "Haushaltsplan 2025 – Ergebnishaushalt",
            &format!("Erträge und Aufwendungen der Teilhaushalte des Ergebnishaushalts 2025 in Euro.\n\nDie Datei ist – wie viele Exporte aus Finanzverfahren – in **Windows-1252** kodiert und nutzt Tausenderpunkte und Dezimalkommas.{n}"),
            &["GOVE", "ECON"], &["Haushalt", "Haushaltsplan", "Finanzen", "Doppik"], "dl-zero-de/2.0", "ANNUAL",
            vec![file("Ergebnishaushalt 2025 (CSV)", "haushalt_aalen_2025.csv", budget_csv())]),
        ds("parkhaeuser-aalen-belegung", "stadtwerke-aalen", "Parkhausbelegung Aalen (Momentaufnahme)",
            "Belegung der Parkhäuser und Parkplätze des Aalener Parkleitsystems: freie und belegte Stellplätze je Anlage.\n\nEchte Momentaufnahme aus dem Parkleitsystem (über ParkAPI, ParkenDD).",
            &["TRAN"], &["Parken", "Parkhaus", "Parkleitsystem", "Echtzeit"], "dl-by-de/2.0", "CONT",
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
            &format!("Allgemeinbildende und berufliche Schulen mit Schulart und Schülerzahl des Schuljahres 2024/25.{n}"),
            &["EDUC"], &["Schule", "Bildung", "Schülerzahlen"], "dl-by-de/2.0", "ANNUAL",
            vec![file("Schulen (CSV)", "schulen_aalen.csv", list_csv("Schule;Schulart;Stadtbezirk;Schüler 2024/25", &[
                "Schubart-Gymnasium;Gymnasium;Aalen (Kernstadt);1012", "Theodor-Heuss-Gymnasium;Gymnasium;Aalen (Kernstadt);987",
                "Kopernikus-Gymnasium;Gymnasium;Wasseralfingen;802", "Uhland-Realschule;Realschule;Aalen (Kernstadt);540",
                "Karl-Kessler-Realschule;Realschule;Wasseralfingen;611", "Greutschule;Grundschule;Aalen (Kernstadt);233",
                "Grundschule Unterkochen;Grundschule;Unterkochen;187", "Technische Schule Aalen;Berufliche Schule;Aalen (Kernstadt);1840",
            ]))]),
        ds("gemeinderatswahl-heidenheim-2024", "stadt-heidenheim", "Gemeinderatswahl 2024 – Ergebnisse nach Wahlbezirk",
            &format!("Stimmen je Wahlvorschlag und Wahlbezirk bei der Gemeinderatswahl am 9. Juni 2024.{n}"),
            &["GOVE"], &["Wahl", "Gemeinderat", "Kommunalwahl", "Wahlergebnis"], "dl-zero-de/2.0", "NEVER",
            vec![file("Ergebnisse je Wahlbezirk (CSV)", "gemeinderatswahl_2024.csv", daily_csv(4, "CDU;SPD;GRÜNE;FREIE WÄHLER;FDP;AfD", 6, 100, 2500))]),
        ds("stromverbrauch-aalen", "stadtwerke-aalen", "Stromabgabe im Netzgebiet Aalen",
            &format!("Monatliche Stromabgabe an Letztverbraucher im Netz der Stadtwerke Aalen in MWh.{n}"),
            &["ENER"], &["Strom", "Energie", "Verbrauch"], "cc-by/4.0", "MONTHLY",
            vec![file("Stromabgabe 2022–2024 (CSV)", "stromabgabe_aalen.csv", monthly_csv(5, "Stromabgabe (MWh)", 18_000.0, 31_000.0, 1))]),
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
            vec![file("Tagesmittelwerte 2024 (CSV)", "luftqualitaet_aalen_2024.csv", daily_csv(6, "NO2 (µg/m³);PM10 (µg/m³);O3 (µg/m³)", 3, 5, 70))]),
        ds("radverkehr-heidenheim", "stadt-heidenheim", "Radverkehrszählung Heidenheim",
            &format!("Tägliche Zählwerte der Dauerzählstellen für den Radverkehr an der Brenz und in der Innenstadt.{n}"),
            &["TRAN"], &["Radverkehr", "Fahrrad", "Verkehrszählung"], "cc-by/4.0", "DAILY",
            vec![file("Zählwerte (CSV)", "radverkehr_heidenheim.csv", daily_csv(7, "Brenzuferweg;Olgastraße;Schnaitheimer Straße", 3, 80, 1900))]),
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
            vec![file("Anmeldungen je Monat (CSV)", "gewerbeanmeldungen_aalen.csv", monthly_csv(9, "Anmeldungen", 40.0, 120.0, 0))]),
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
            vec![file("Einsätze je Monat (CSV)", "feuerwehr_heidenheim.csv", monthly_csv(10, "Einsätze", 35.0, 110.0, 0))]),
        ds("studierende-hochschule-aalen", "hochschule-aalen", "Studierende der Hochschule Aalen",
            &format!("Zahl der Studierenden je Fakultät im Wintersemester.{n}"),
            &["EDUC", "TECH"], &["Hochschule", "Studierende", "Studium"], "cc-by/4.0", "ANNUAL",
            vec![file("Studierende je Fakultät (CSV)", "studierende_hs_aalen.csv", list_csv("Fakultät;WS 2022/23;WS 2023/24;WS 2024/25", &[
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
            vec![file("Pegel Tageswerte (CSV)", "pegel_brenz.csv", daily_csv(12, "Wasserstand (cm)", 1, 40, 190))]),
        ds("stadtbibliothek-heidenheim-ausleihen", "stadt-heidenheim", "Ausleihen der Stadtbibliothek",
            &format!("Monatliche Ausleihen der Stadtbibliothek Heidenheim, gedruckt und digital.{n}"),
            &["EDUC"], &["Bibliothek", "Ausleihen", "Kultur"], "cc-zero", "MONTHLY",
            vec![file("Ausleihen je Monat (CSV)", "bibliothek_ausleihen.csv", monthly_csv(13, "Ausleihen", 9000.0, 16000.0, 0))]),
        ds("wlan-hotspots-aalen", "stadtwerke-aalen", "Öffentliche WLAN-Hotspots",
            &format!("Standorte des freien Stadt-WLANs.{n}"),
            &["TECH", "REGI"], &["WLAN", "Internet", "Digitalisierung"], "cc-zero", "IRREG",
            vec![file("Hotspots (GeoJSON)", "wlan_hotspots_aalen.geojson", points_geojson(14, AALEN, 15, "Hotspot", &[("Betreiber", &["Stadtwerke Aalen"])]))]),
        ds("abfallkalender-aalen", "stadt-aalen", "Abfuhrtermine Aalen",
            &format!("Abfuhrtermine für Restmüll, Bioabfall, Papier und Gelben Sack je Abfuhrbezirk.{n}"),
            &["ENVI"], &["Abfall", "Müllabfuhr", "Abfallkalender"], "dl-zero-de/2.0", "ANNUAL",
            vec![file("Abfuhrtermine 2024 (CSV)", "abfuhrtermine_aalen_2024.csv", daily_csv(15, "Bezirk", 1, 1, 8))]),
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
            daily_csv(18, "Zählstelle 1;Zählstelle 2", 2, 200, 9000),
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
    draft.temporal = (Some("2026-01-01"), Some("2027-12-31"));
    v[0].temporal = (Some("2019-01-01"), Some("2024-12-31"));
    v[1].temporal = (Some("2019-01-01"), Some("2024-12-31"));
    v[3].temporal = (Some("2025-01-01"), Some("2025-12-31"));
    v.push(private);
    v.push(draft);
    v
}
