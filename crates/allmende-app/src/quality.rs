//! The metadata quality score: the indicators and points of the data.europa.eu Metadata Quality
//! Assessment (405 in all), computed from what the portal publishes in DCAT for a dataset, and
//! our own checks beside it. An indicator on distributions earns its points times the share of
//! distributions that pass; for interoperability only the best distribution counts.

use allmende_core::authz::Actor;
use allmende_core::{Dataset, Resource, vocab};
use serde::Serialize;

use crate::{App, AppResult};

/// One indicator: its points, what it earned, and the share of distributions that pass.
#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    pub id: &'static str,
    pub dimension: &'static str,
    pub points: u32,
    pub earned: f64,
    /// For distribution indicators: the share that passes (0–1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
}

/// One of our own checks (not part of the 405 points).
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub id: &'static str,
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Quality {
    pub score: u32,
    pub max: u32,
    /// `excellent` (351–405), `good` (221–350), `sufficient` (121–220) or `bad`.
    pub rating: &'static str,
    pub dimensions: Vec<(&'static str, f64, u32)>,
    pub indicators: Vec<Indicator>,
    pub checks: Vec<Check>,
}

pub const MAX: u32 = 405;

pub fn rating(score: u32) -> &'static str {
    match score {
        351.. => "excellent",
        221..=350 => "good",
        121..=220 => "sufficient",
        _ => "bad",
    }
}

/// Formats that are open standards, and formats a machine reads as data (MQA's readings; the
/// official lists are not pinned down, see `docs/quality.md`).
const NON_PROPRIETARY: &[&str] = &[
    "CSV",
    "TSV",
    "JSON",
    "GEOJSON",
    "XML",
    "ODS",
    "PARQUET",
    "KML",
    "GPKG",
    "GML",
    "TXT",
    "HTML",
    "PNG",
    "SVG",
    "RDF_TURTLE",
    "RDF_XML",
    "JSON_LD",
    "WMS_SRVC",
    "WFS_SRVC",
    "PDF",
];
const MACHINE_READABLE: &[&str] = &[
    "CSV",
    "TSV",
    "JSON",
    "GEOJSON",
    "XML",
    "XLSX",
    "XLS",
    "ODS",
    "PARQUET",
    "SHP",
    "KML",
    "KMZ",
    "GPKG",
    "GML",
    "RDF_TURTLE",
    "RDF_XML",
    "JSON_LD",
    "WMS_SRVC",
    "WFS_SRVC",
];

/// What the assessment needs beyond the dataset: per resource, whether it is served as a table
/// (its exports are distributions too) and whether its privacy check is clear.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub tables: Vec<bool>,
    /// Typed (non-text) columns per served table, and columns in all.
    pub typed_columns: Vec<(usize, usize)>,
    pub privacy_clear: bool,
    /// Today, for "update frequency kept".
    pub today: Option<chrono::NaiveDate>,
}

/// A distribution as DCAT shows it.
struct Dist {
    format: Option<String>,
    media_type: Option<String>,
    /// The access URL answers (our own file, or a link the checker reached).
    answers: bool,
    download_url: bool,
    byte_size: bool,
    licence: Option<String>,
}

fn distributions(ds: &Dataset, resources: &[Resource], facts: &Facts) -> Vec<Dist> {
    let mut out = Vec::new();
    for (i, r) in resources.iter().enumerate() {
        let upload = r.url.is_none() && r.sha256.is_some();
        let served_file = upload && !r.withheld;
        out.push(Dist {
            format: r.format.clone(),
            media_type: r.media_type.clone(),
            answers: served_file || crate::links::answers(r.link_status),
            download_url: served_file,
            byte_size: served_file && r.byte_size.is_some(),
            licence: r.license.clone().or_else(|| Some(ds.license.clone())),
        });
        // A served table is also offered in every export format (DCAT lists them).
        if facts.tables.get(i).copied().unwrap_or(false) {
            for format in ["CSV", "JSON", "XLSX", "PARQUET"] {
                out.push(Dist {
                    format: Some(format.into()),
                    media_type: vocab::file_type(format).map(|t| t.media_type.to_string()),
                    answers: true,
                    download_url: true,
                    byte_size: false,
                    licence: r.license.clone().or_else(|| Some(ds.license.clone())),
                });
            }
        }
    }
    out
}

fn share(dists: &[Dist], pass: impl Fn(&Dist) -> bool) -> f64 {
    if dists.is_empty() {
        0.0
    } else {
        dists.iter().filter(|d| pass(d)).count() as f64 / dists.len() as f64
    }
}

/// The assessment of one dataset.
pub fn assess(ds: &Dataset, resources: &[Resource], facts: &Facts) -> Quality {
    let dists = distributions(ds, resources, facts);
    let mut indicators = Vec::new();
    let mut flag = |id, dimension, points: u32, passed: bool| {
        indicators.push(Indicator {
            id,
            dimension,
            points,
            earned: if passed { f64::from(points) } else { 0.0 },
            share: None,
        })
    };
    flag("keywords", "findability", 30, !ds.keywords.is_empty());
    flag("themes", "findability", 30, !ds.themes.is_empty());
    let spatial =
        ds.spatial.name.is_some() || ds.spatial.ags.is_some() || ds.spatial.bbox.is_some();
    flag("spatial", "findability", 20, spatial);
    flag(
        "temporal",
        "findability",
        20,
        ds.temporal.start.is_some() || ds.temporal.end.is_some(),
    );
    let _ = &mut flag;
    let mut shared = |id, dimension, points: u32, s: f64| {
        indicators.push(Indicator {
            id,
            dimension,
            points,
            earned: f64::from(points) * s,
            share: Some(s),
        })
    };
    shared(
        "access_url",
        "accessibility",
        50,
        share(&dists, |d| d.answers),
    );
    shared(
        "download_url",
        "accessibility",
        20,
        share(&dists, |d| d.download_url),
    );
    shared(
        "download_url_answers",
        "accessibility",
        30,
        share(&dists, |d| d.download_url && d.answers),
    );
    // Interoperability: the best distribution.
    let best = |pass: &dyn Fn(&Dist) -> bool| if dists.iter().any(pass) { 1.0 } else { 0.0 };
    shared(
        "format",
        "interoperability",
        20,
        best(&|d| d.format.is_some()),
    );
    shared(
        "media_type",
        "interoperability",
        10,
        best(&|d| d.media_type.is_some()),
    );
    shared(
        "format_vocabulary",
        "interoperability",
        5,
        best(&|d| d.format.as_deref().and_then(vocab::file_type).is_some()),
    );
    shared(
        "media_type_vocabulary",
        "interoperability",
        5,
        best(&|d| {
            d.media_type.as_deref().is_some_and(|m| {
                vocab::FILE_TYPES.iter().any(|t| t.media_type == m) && !m.contains("/x-")
            })
        }),
    );
    shared(
        "non_proprietary",
        "interoperability",
        20,
        best(&|d| {
            d.format
                .as_deref()
                .is_some_and(|f| NON_PROPRIETARY.contains(&f))
        }),
    );
    shared(
        "machine_readable",
        "interoperability",
        20,
        best(&|d| {
            d.format
                .as_deref()
                .is_some_and(|f| MACHINE_READABLE.contains(&f))
        }),
    );
    // What the DCAT-AP.de shapes require of our output and a dataset can lack: a description,
    // and distributions (each then has an access URL and a licence).
    shared(
        "dcat_ap_compliance",
        "interoperability",
        30,
        if !ds.description.trim().is_empty() && !dists.is_empty() {
            1.0
        } else {
            0.0
        },
    );
    shared(
        "licence",
        "reusability",
        20,
        share(&dists, |d| d.licence.is_some()),
    );
    shared(
        "licence_vocabulary",
        "reusability",
        10,
        share(&dists, |d| {
            d.licence.as_deref().and_then(vocab::license).is_some()
        }),
    );
    // Every public dataset states `dct:accessRights` PUBLIC from the EU vocabulary.
    shared("access_rights", "reusability", 10, 1.0);
    shared("access_rights_vocabulary", "reusability", 5, 1.0);
    shared(
        "contact_point",
        "reusability",
        20,
        if ds.contact.is_empty() { 0.0 } else { 1.0 },
    );
    shared("publisher", "reusability", 10, 1.0);
    // `dct:rights` of a distribution: the licence's attribution text where the licence asks
    // for one (DCAT-AP.de's `licenseAttributionByText`).
    shared(
        "rights",
        "contextuality",
        5,
        share(&dists, |d| {
            d.licence.as_deref().and_then(vocab::license).is_some()
        }),
    );
    shared(
        "byte_size",
        "contextuality",
        5,
        share(&dists, |d| d.byte_size),
    );
    shared(
        "issued",
        "contextuality",
        5,
        if ds.issued.is_some() { 1.0 } else { 0.0 },
    );
    shared(
        "modified",
        "contextuality",
        5,
        if ds.modified.is_some() { 1.0 } else { 0.0 },
    );

    let total: f64 = indicators.iter().map(|i| i.earned).sum();
    let score = total.round() as u32;
    let dimensions = [
        ("findability", 100),
        ("accessibility", 100),
        ("interoperability", 110),
        ("reusability", 75),
        ("contextuality", 20),
    ]
    .into_iter()
    .map(|(d, max)| {
        let earned: f64 = indicators
            .iter()
            .filter(|i| i.dimension == d)
            .map(|i| i.earned)
            .sum();
        (d, (earned * 10.0).round() / 10.0, max)
    })
    .collect();
    Quality {
        score,
        max: MAX,
        rating: rating(score),
        dimensions,
        indicators,
        checks: checks(ds, facts),
    }
}

/// Our own checks beside the MQA.
fn checks(ds: &Dataset, facts: &Facts) -> Vec<Check> {
    let typed = facts
        .typed_columns
        .iter()
        .all(|(typed, all)| *all == 0 || *typed > 0);
    let kept = match (
        ds.frequency.as_deref().and_then(frequency_days),
        facts.today,
    ) {
        (Some(days), Some(today)) => {
            let last = ds.modified.unwrap_or_else(|| ds.updated_at.date_naive());
            // A quarter of the period as grace.
            (today - last).num_days() <= days + days / 4
        }
        _ => true,
    };
    vec![
        Check {
            id: "description_length",
            passed: ds.description.trim().chars().count() >= 100,
        },
        Check {
            id: "contact_reachable",
            passed: ds.contact.email.is_some(),
        },
        Check {
            id: "frequency_kept",
            passed: kept,
        },
        Check {
            id: "typed_columns",
            passed: typed,
        },
        Check {
            id: "privacy_clear",
            passed: facts.privacy_clear,
        },
    ]
}

/// The period of an EU frequency code in days (none for irregular or continuous updates).
fn frequency_days(code: &str) -> Option<i64> {
    Some(match code {
        "DAILY" => 1,
        "WEEKLY" => 7,
        "BIWEEKLY" => 14,
        "MONTHLY" => 31,
        "BIMONTHLY" => 62,
        "QUARTERLY" => 92,
        "BIENNIAL" => 731,
        "ANNUAL" => 366,
        "ANNUAL_2" => 183,
        "ANNUAL_3" => 122,
        "TRIENNIAL" => 1096,
        _ => return None,
    })
}

impl App {
    /// The assessment of a dataset the actor may see.
    pub async fn dataset_quality(
        &self,
        actor: &Actor,
        id_or_slug: &str,
    ) -> AppResult<(Dataset, Quality)> {
        let ds = self.visible_dataset(actor, id_or_slug).await?;
        let q = self.assess(&ds).await?;
        Ok((ds, q))
    }

    /// The assessment of a dataset (the caller has checked it may see it).
    pub async fn assess(&self, ds: &Dataset) -> AppResult<Quality> {
        let resources = self.catalog.resources_of(ds.id).await?;
        let mut facts = Facts {
            privacy_clear: true,
            today: Some(allmende_core::time::now().date_naive()),
            ..Facts::default()
        };
        for r in &resources {
            let served = match self.catalog.serving_table(r.id).await? {
                Some(v) => {
                    let columns: Vec<allmende_table::Column> = v
                        .report
                        .as_ref()
                        .and_then(|rep| rep.get("columns"))
                        .and_then(|c| serde_json::from_value(c.clone()).ok())
                        .unwrap_or_default();
                    let typed = columns
                        .iter()
                        .filter(|c| c.kind != allmende_table::ColumnType::Text)
                        .count();
                    facts.typed_columns.push((typed, columns.len()));
                    true
                }
                None => false,
            };
            facts.tables.push(served);
            if r.withheld || r.status == allmende_core::ProcessingStatus::Held {
                facts.privacy_clear = false;
            }
        }
        Ok(assess(ds, &resources, &facts))
    }
}

/// How long the catalog-wide average is reused (it reads every public dataset).
const AVERAGE_TTL: std::time::Duration = std::time::Duration::from_secs(600);
/// At most this many datasets go into the average.
const AVERAGE_MAX_DATASETS: i64 = 5_000;

impl App {
    /// The average score of the public datasets and their number, reused for ten minutes.
    pub async fn average_quality(&self) -> AppResult<Option<(u32, usize)>> {
        if let Ok(cache) = self.quality_cache.lock()
            && let Some((at, value)) = *cache
            && at.elapsed() < AVERAGE_TTL
        {
            return Ok(value);
        }
        let filter = allmende_catalog::DatasetFilter::new(
            allmende_core::authz::ReadScope::PublicAnd(Vec::new()),
        );
        let (mut sum, mut n, mut page) = (0u64, 0usize, 1);
        loop {
            let p = self
                .catalog
                .datasets(&filter, allmende_catalog::DatasetSort::Id, page, 100)
                .await?;
            for ds in &p.items {
                sum += u64::from(self.assess(ds).await?.score);
                n += 1;
            }
            if p.items.len() < 100 || page * 100 >= AVERAGE_MAX_DATASETS {
                break;
            }
            page += 1;
        }
        let value = (n > 0).then(|| ((sum as f64 / n as f64).round() as u32, n));
        if let Ok(mut cache) = self.quality_cache.lock() {
            *cache = Some((std::time::Instant::now(), value));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(v: serde_json::Value) -> Dataset {
        let mut base = serde_json::json!({
            "id": uuid::Uuid::nil(), "slug": "d", "title": "T", "description": "", "keywords": [],
            "themes": [], "license": "dl-by-de/2.0", "organization": "o", "organization_name": "O",
            "contact": {}, "maintainer": {}, "issued": null, "modified": null, "temporal": {},
            "spatial": {}, "frequency": null, "languages": [], "landing_page": null,
            "version": null, "visibility": "public", "deleted": false, "extras": {},
            "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z",
        });
        if let (Some(b), Some(o)) = (base.as_object_mut(), v.as_object()) {
            for (k, v) in o {
                b.insert(k.clone(), v.clone());
            }
        }
        serde_json::from_value(base).expect("dataset")
    }

    #[test]
    fn ratings_have_the_mqa_bounds() {
        assert_eq!(rating(405), "excellent");
        assert_eq!(rating(351), "excellent");
        assert_eq!(rating(350), "good");
        assert_eq!(rating(221), "good");
        assert_eq!(rating(220), "sufficient");
        assert_eq!(rating(121), "sufficient");
        assert_eq!(rating(120), "bad");
        assert_eq!(rating(0), "bad");
    }

    #[test]
    fn an_empty_dataset_earns_only_what_every_dataset_has() {
        let q = assess(&dataset(serde_json::json!({})), &[], &Facts::default());
        // Access rights (10 + 5) and publisher (10): stated for every public dataset.
        assert_eq!(q.score, 25);
        assert_eq!(q.indicators.iter().map(|i| i.points).sum::<u32>(), MAX);
        let findability: f64 = q
            .indicators
            .iter()
            .filter(|i| i.dimension == "findability")
            .map(|i| i.earned)
            .sum();
        assert_eq!(findability, 0.0);
    }

    #[test]
    fn own_checks_see_an_overdue_update() {
        let ds = dataset(
            serde_json::json!({"frequency": "MONTHLY", "modified": "2025-01-01",
            "description": "x".repeat(120), "contact": {"email": "opendata@aalen.de"}}),
        );
        let at = |day: &str| Facts {
            today: chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok(),
            privacy_clear: true,
            ..Facts::default()
        };
        let kept = |facts: &Facts| {
            checks(&ds, facts)
                .into_iter()
                .find(|c| c.id == "frequency_kept")
                .map(|c| c.passed)
        };
        assert_eq!(kept(&at("2025-02-05")), Some(true));
        assert_eq!(kept(&at("2025-03-15")), Some(false));
        let all = checks(&ds, &at("2025-01-10"));
        assert!(all.iter().all(|c| c.passed), "{all:?}");
    }
}
