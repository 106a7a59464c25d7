//! Whole tables through the scan: persons, facilities, candidates, measurements, bounds.

use super::*;
use crate::privacy::RulesConfig;

fn scan(rows: &[&[&str]]) -> PrivacyReport {
    scan_with(rows, PrivacyRules::builtin())
}

fn scan_with(rows: &[&[&str]], rules: std::sync::Arc<PrivacyRules>) -> PrivacyReport {
    let headers: Vec<String> = rows[0].iter().map(|s| s.to_string()).collect();
    let mut s = Scan::new(&headers, rules);
    for r in &rows[1..] {
        s.observe_row();
        for (i, v) in r.iter().enumerate() {
            s.observe(i, &Cell::Text(v));
        }
    }
    s.finish()
}

fn rules(r: &PrivacyReport, severity: Severity) -> Vec<(&str, Rule)> {
    r.findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| (f.column.as_str(), f.rule))
        .collect()
}

#[test]
fn a_table_of_persons_is_flagged() {
    let r = scan(&[
        &[
            "Name",
            "Vorname",
            "Geburtsdatum",
            "E-Mail",
            "Telefon",
            "IBAN",
            "Anschrift",
        ],
        &[
            "Mustermann",
            "Max",
            "01.02.1980",
            "max.mustermann@example.org",
            "07361 12345",
            "DE89 3704 0044 0532 0130 00",
            "Marktplatz 3",
        ],
        &[
            "Schmidt",
            "Anna",
            "15.07.1992",
            "anna.schmidt@example.org",
            "+49 7321 98765",
            "DE89370400440532013000",
            "Bahnhofstr. 12a",
        ],
        &[
            "Yilmaz",
            "Mehmet",
            "30.11.1975",
            "m.yilmaz@example.org",
            "0151 2345678",
            "GB82WEST12345698765432",
            "Am Stadtgraben 3/1",
        ],
    ]);
    let high = rules(&r, Severity::High);
    for (col, rule) in [
        ("Name", Rule::PersonName),
        ("Vorname", Rule::PersonName),
        ("Geburtsdatum", Rule::BirthDate),
        ("E-Mail", Rule::Email),
        ("Telefon", Rule::Phone),
        ("IBAN", Rule::Iban),
        ("Anschrift", Rule::StreetAddress),
    ] {
        assert!(high.contains(&(col, rule)), "{col} {rule:?} in {high:?}");
    }
    assert!(!r.is_clean());
    for f in &r.findings {
        for e in &f.examples {
            assert!(e.contains('•'), "unmasked example {e}");
        }
    }
}

#[test]
fn facilities_are_not_persons() {
    let r = scan(&[
        &["Name", "Adresse", "Telefon", "E-Mail", "Stellplätze"],
        &[
            "Parkhaus Stadtmitte",
            "Marktplatz 3",
            "07361 52-0",
            "info@stadtwerke-aalen.de",
            "420",
        ],
        &[
            "Tiefgarage Rathaus",
            "Marktplatz 30",
            "07361 52-1100",
            "poststelle@aalen.de",
            "210",
        ],
        &[
            "Parkplatz Bahnhof",
            "Bahnhofstr. 1",
            "07361 52-1200",
            "info@aalen.de",
            "95",
        ],
    ]);
    assert!(r.is_clean(), "{:?}", r.findings);
}

#[test]
fn election_candidates_are_personal() {
    let r = scan(&[
        &[
            "WBZ",
            "Partei",
            "Familienname",
            "Vornamen",
            "Beruf",
            "Geb. Jahr",
            "Geburtsort",
            "PLZ",
            "Straße und Hausnummer",
        ],
        &[
            "1",
            "CDU",
            "Dr. Erber",
            "Dietmar",
            "Dipl.-Chemiker",
            "1967",
            "Sögel",
            "48143",
            "Klosterstr. 10",
        ],
        &[
            "2",
            "CDU",
            "Dreßen",
            "Olaf",
            "Rechtsanwalt",
            "1967",
            "Münster",
            "48143",
            "Ludgeristr. 57",
        ],
        &[
            "3",
            "SPD",
            "Kowalski",
            "Petra",
            "Lehrerin",
            "1971",
            "Dortmund",
            "48145",
            "Warendorfer Str. 8",
        ],
    ]);
    let high = rules(&r, Severity::High);
    assert!(
        high.contains(&("Familienname", Rule::PersonName)),
        "{high:?}"
    );
    assert!(high.contains(&("Vornamen", Rule::PersonName)), "{high:?}");
    assert!(high.contains(&("Geb. Jahr", Rule::BirthDate)), "{high:?}");
    assert!(
        high.contains(&("Straße und Hausnummer", Rule::StreetAddress)),
        "{high:?}"
    );
}

#[test]
fn remembered_values_count_like_new_ones() {
    // The same role mailbox on every row: after the first, each is a memo hit.
    let r = scan(&[
        &["Einrichtung", "E-Mail", "Telefon"],
        &["Bürgerbüro", "info@aalen.de", "07361 52-0"],
        &["Bürgerbüro Wasseralfingen", "info@aalen.de", "07361 52-1"],
        &["Stadtbibliothek", "info@aalen.de", "07361 52-2"],
        &["Rathaus", "info@aalen.de", "07361 52-3"],
    ]);
    assert!(r.is_clean(), "{:?}", r.findings);
    assert!(
        r.findings.iter().any(|f| f.rule == Rule::BusinessContact),
        "{:?}",
        r.findings
    );
}

#[test]
fn long_values_are_not_remembered() {
    let mut s = Scan::new(&["Bemerkung".to_string()], PrivacyRules::builtin());
    let long: Vec<String> = (0..3000)
        .map(|i| format!("{i} {}", "x".repeat(1000)))
        .collect();
    for v in &long {
        s.observe_row();
        s.observe(0, &Cell::Text(v));
    }
    assert!(s.columns[0].memo.is_empty());
    s.observe(0, &Cell::Text("Innenstadt"));
    assert_eq!(s.columns[0].memo.len(), 1);
}

#[test]
fn the_memo_of_all_columns_stays_within_its_budget() {
    let headers: Vec<String> = (0..500).map(|i| format!("s{i}")).collect();
    let mut s = Scan::new(&headers, PrivacyRules::builtin());
    for row in 0..120 {
        s.observe_row();
        for c in 0..500 {
            s.observe(
                c,
                &Cell::Text(&format!("Wert {row} in Spalte {c} {}", "y".repeat(80))),
            );
        }
    }
    let kept: usize = s
        .columns
        .iter()
        .flat_map(|c| c.memo.keys())
        .map(|k| k.len() + 64)
        .sum();
    assert!(kept <= MEMO_BUDGET, "{kept}");
    assert!(s.columns.iter().all(|c| c.memo.len() <= MEMO));
}

#[test]
fn counts_below_a_person_header_are_no_names() {
    let r = scan(&[
        &["Schule", "Schüler 2024/25", "Mitarbeiter"],
        &["Schillerschule", "412", "38"],
        &["Grundschule Hofherrnweiler", "198", "17"],
    ]);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn measurements_are_clean() {
    let r = scan(&[
        &[
            "messstelle",
            "stadtteil",
            "zeitpunkt",
            "belegt",
            "auslastung_prozent",
            "bemerkung",
        ],
        &[
            "Parkhaus Stadtmitte",
            "Innenstadt",
            "01.01.2024 00:00",
            "12",
            "45,6",
            "",
        ],
        &[
            "Parkplatz Bahnhof",
            "Innenstadt",
            "01.01.2024 00:15",
            "80",
            "33,1",
            "Wartung",
        ],
        &[
            "P+R Wasseralfingen",
            "Wasseralfingen",
            "01.01.2024 00:30",
            "7",
            "2,0",
            "Störung Zählschleife",
        ],
    ]);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

/// The operator's configuration: a column name of their own, names the lists lack, a rule
/// weighed differently, one switched off; the report names the configuration.
#[test]
fn configured_rules_change_what_is_found() {
    let table: &[&[&str]] = &[
        &["Baumpate", "Kennzeichen", "Baumart"],
        &["Jolanda Kocherthaler", "AA-XY 123", "Linde"],
        &["Wendelin Brenzhauser", "HDH-AB 42", "Eiche"],
        &["Jolanda Brenzhauser", "AA-Q 7", "Ahorn"],
        &["Wendelin Kocherthaler", "HDH-Z 1", "Linde"],
        &["Jolanda Ostalbinger", "AA-B 99", "Buche"],
    ];
    let builtin = scan(table);
    assert!(builtin.rules.is_empty());
    let high = rules(&builtin, Severity::High);
    assert!(!high.iter().any(|(c, _)| *c == "Baumpate"), "{high:?}");
    assert!(
        high.contains(&("Kennzeichen", Rule::LicencePlate)),
        "{high:?}"
    );

    let config: RulesConfig = serde_json::from_value(serde_json::json!({
        "severity": {"licence_plate": "medium", "phone": "off"},
        "headers": {"person_name": ["Baumpate"]},
        "first_names": ["Jolanda", "Wendelin"],
    }))
    .unwrap();
    let configured = PrivacyRules::new(&config, "abc123".into()).unwrap();
    assert_eq!(
        configured.header_rule("Baumpatin/Baumpate"),
        Some(Rule::PersonName)
    );
    assert_eq!(PrivacyRules::builtin().header_rule("Baumpate"), None);
    let r = scan_with(table, std::sync::Arc::new(configured));
    assert_eq!(r.rules, "abc123");
    let high = rules(&r, Severity::High);
    assert!(high.contains(&("Baumpate", Rule::PersonName)), "{high:?}");
    assert!(!high.iter().any(|(c, _)| *c == "Kennzeichen"), "{high:?}");
    assert!(rules(&r, Severity::Medium).contains(&("Kennzeichen", Rule::LicencePlate)));

    // Switched off: no finding at all, whatever the values.
    let off: RulesConfig =
        serde_json::from_value(serde_json::json!({"severity": {"licence_plate": "off"}})).unwrap();
    let r = scan_with(
        table,
        std::sync::Arc::new(PrivacyRules::new(&off, "x".into()).unwrap()),
    );
    assert!(!r.findings.iter().any(|f| f.rule == Rule::LicencePlate));

    // What would make every column a finding is refused.
    let short: RulesConfig =
        serde_json::from_value(serde_json::json!({"headers": {"email": ["e"]}})).unwrap();
    assert!(PrivacyRules::new(&short, String::new()).is_err());
    let sentence: RulesConfig =
        serde_json::from_value(serde_json::json!({"first_names": ["Anna Lena"]})).unwrap();
    assert!(PrivacyRules::new(&sentence, String::new()).is_err());
    let unknown = serde_json::from_value::<RulesConfig>(
        serde_json::json!({"severity": {"shoe_size": "high"}}),
    );
    assert!(unknown.is_err());
}

/// Thousands of distinct values stop the memo from being asked, not the check: identifiers
/// further down are still found. Timestamps are skipped whole.
#[test]
fn distinct_values_are_still_classified_after_the_memo_gives_up() {
    let mut s = Scan::new(
        &["Aktenzeichen".to_string(), "Zeitpunkt".to_string()],
        PrivacyRules::builtin(),
    );
    for i in 0..5000 {
        s.observe_row();
        let az = format!("AZ-{i:05}-B");
        s.observe(0, &Cell::Text(&az));
        let t = format!("{:02}.01.2024 13:{:02}", i % 28 + 1, i % 60);
        s.observe(1, &Cell::Text(&t));
    }
    for iban in [
        "DE89370400440532013000",
        "DE02120300000000202051",
        "DE02500105170137075030",
    ] {
        s.observe_row();
        s.observe(0, &Cell::Text(iban));
        s.observe(1, &Cell::Text("31.12.2024 23:59"));
    }
    let column = &s.columns[0];
    assert!(column.memo_misses > 1000, "the memo was given up");
    let r = s.finish();
    let high = rules(&r, Severity::High);
    assert!(high.contains(&("Aktenzeichen", Rule::Iban)), "{r:?}");
    assert!(!r.findings.iter().any(|f| f.column == "Zeitpunkt"), "{r:?}");
}
