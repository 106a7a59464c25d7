//! Generates a large, realistic catalog for the search benchmarks:
//! `cargo run --release --example gen_catalog -- DATA_DIR 100000`.
//! Deterministic: the same count gives the same catalog.

use allmende_catalog::NewResource;
use allmende_core::ProcessingStatus;
use allmende_core::validate::{DatasetInput, OrganizationInput, ResourceInput};

const TOPICS: &[(&str, &str, &[&str])] = &[
    ("Parkplätze", "TRAN", &["Parken", "Verkehr"]),
    ("Straßenbäume", "ENVI", &["Bäume", "Stadtgrün"]),
    ("Haushaltsplan", "GOVE", &["Haushalt", "Finanzen"]),
    ("Kindertagesstätten", "EDUC", &["Kita", "Kinder"]),
    ("Schulen", "EDUC", &["Bildung"]),
    ("Radwege", "TRAN", &["Fahrrad", "Radverkehr"]),
    ("Ladestationen", "ENER", &["E-Mobilität", "Laden"]),
    ("Bevölkerung", "SOCI", &["Einwohner", "Demografie"]),
    ("Wahlergebnisse", "GOVE", &["Wahl", "Gemeinderat"]),
    ("Luftqualität", "ENVI", &["Luft", "Feinstaub"]),
    ("Stromverbrauch", "ENER", &["Strom", "Energie"]),
    ("Trinkwasser", "HEAL", &["Wasser", "Qualität"]),
    ("Gewerbeanmeldungen", "ECON", &["Gewerbe", "Wirtschaft"]),
    (
        "Bebauungspläne",
        "REGI",
        &["Bauleitplanung", "Stadtplanung"],
    ),
    ("Feuerwehreinsätze", "JUST", &["Feuerwehr", "Sicherheit"]),
    ("Streuobstwiesen", "AGRI", &["Streuobst", "Landwirtschaft"]),
    ("Städtepartnerschaften", "INTR", &["International"]),
    ("Forschungsprojekte", "TECH", &["Forschung"]),
    ("Sportstätten", "EDUC", &["Sport"]),
    ("Friedhöfe", "REGI", &["Friedhof"]),
];
const PLACES: &[&str] = &[
    "Aalen",
    "Heidenheim",
    "Wasseralfingen",
    "Unterkochen",
    "Ebnat",
    "Mergelstetten",
    "Schnaitheim",
    "Oggenhausen",
    "Dewangen",
    "Fachsenfeld",
    "Hofen",
    "Waldhausen",
    "Großkuchen",
    "Ellwangen",
    "Schwäbisch Gmünd",
    "Bopfingen",
    "Oberkochen",
    "Giengen",
    "Herbrechtingen",
    "Neresheim",
];
const FORMATS: &[&str] = &["CSV", "JSON", "GEOJSON", "XLSX", "PDF", "SHP"];
const LICENSES: &[&str] = &["dl-by-de/2.0", "dl-zero-de/2.0", "cc-by/4.0", "cc-zero"];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).map(String::as_str).unwrap_or("./bench-data"));
    let count: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let config = allmende::Config::load(&dir, None)?;
    let catalog = allmende::open_catalog(&config, &dir).await?;
    let mut orgs = Vec::new();
    for (i, place) in PLACES.iter().enumerate() {
        let slug = format!("org-{i}");
        let org = match catalog
            .organization(&slug, &allmende_core::authz::ReadScope::All)
            .await?
        {
            Some(o) => o,
            None => {
                let f = OrganizationInput {
                    slug: Some(slug),
                    name: Some(format!("Stadt {place}")),
                    ..Default::default()
                }
                .validate()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                catalog.create_organization(&f).await?
            }
        };
        orgs.push(org);
    }
    let started = std::time::Instant::now();
    let mut x: u64 = 0x2545F4914F6CDD1D;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..count {
        let (topic, theme, keywords) = TOPICS[(next() % TOPICS.len() as u64) as usize];
        let place = PLACES[(next() % PLACES.len() as u64) as usize];
        let year = 2010 + next() % 16;
        let org = &orgs[(next() % orgs.len() as u64) as usize];
        let visibility = match next() % 50 {
            0 => "private",
            1 => "draft",
            _ => "public",
        };
        let f = DatasetInput {
            slug: Some(format!("ds-{i}")),
            title: Some(format!("{topic} {place} {year}")),
            description: Some(format!(
                "{topic} im Gebiet {place} für das Jahr {year}. Die Daten werden von der Verwaltung \
                 gepflegt und regelmäßig aktualisiert; sie enthalten Angaben zu Standorten, Mengen und \
                 Zuständigkeiten. Datensatz Nummer {i}."
            )),
            keywords: Some(keywords.iter().map(|k| k.to_string()).chain([place.to_string()]).collect()),
            themes: Some(vec![theme.to_string()]),
            license: Some(LICENSES[(next() % LICENSES.len() as u64) as usize].into()),
            organization: Some(org.slug.clone()),
            visibility: Some(visibility.into()),
            ..Default::default()
        }
        .validate()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let ds = match catalog.create_dataset(&f, org.id).await {
            Ok(ds) => ds,
            Err(allmende_catalog::CatalogError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        let format = FORMATS[(next() % FORMATS.len() as u64) as usize];
        let r = NewResource {
            fields: ResourceInput {
                title: Some(format!("{topic} {year} ({format})")),
                url: Some(format!(
                    "https://daten.example.org/{i}.{}",
                    format.to_lowercase()
                )),
                ..Default::default()
            }
            .validate(None)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
            file: None,
            format: Some(format.into()),
            media_type: allmende_core::vocab::file_type(format).map(|t| t.media_type.to_string()),
            status: ProcessingStatus::None,
            withheld: false,
        };
        catalog.create_resource(ds.id, &r).await?;
        if (i + 1) % 10_000 == 0 {
            eprintln!(
                "{} datasets, {:.0}/s",
                i + 1,
                (i + 1) as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "generated {count} datasets in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
