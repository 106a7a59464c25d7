//! Deterministic generators of the two cities' sample tables and points (the demo looks the
//! same on every machine).

/// A tiny deterministic generator: the demo looks the same on every machine.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    fn float(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() % 1_000_000) as f64 / 1_000_000.0 * (hi - lo)
    }
}

pub(super) fn de(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}").replace('.', ",")
}

pub(super) const AALEN_DISTRICTS: &[&str] = &[
    "Aalen (Kernstadt)",
    "Dewangen",
    "Ebnat",
    "Fachsenfeld",
    "Hofen",
    "Unterkochen",
    "Waldhausen",
    "Wasseralfingen",
];
pub(super) const HDH_DISTRICTS: &[&str] = &[
    "Innenstadt",
    "Mergelstetten",
    "Schnaitheim",
    "Oggenhausen",
    "Großkuchen",
    "Zanger Berg",
    "Reutenen",
    "Voithsiedlung",
    "Osterholz",
    "Staufen",
];

pub(super) fn population_csv(seed: u64, districts: &[&str]) -> Vec<u8> {
    let mut r = Rng(seed);
    let mut s = String::from(
        "Stadtteil;Jahr;Einwohner gesamt;davon weiblich;Anteil unter 18 (%);Anteil über 65 (%)\r\n",
    );
    for year in 2019..=2024 {
        for d in districts {
            let total = r.range(1_800, 30_000);
            let female = total / 2 + r.range(-400, 400);
            s.push_str(&format!(
                "{d};{year};{total};{female};{};{}\r\n",
                de(r.float(14.0, 21.0), 1),
                de(r.float(17.0, 27.0), 1)
            ));
        }
    }
    s.into_bytes()
}

pub(super) fn points_geojson(
    seed: u64,
    center: (f64, f64),
    n: usize,
    name: &str,
    props: &[(&str, &[&str])],
) -> Vec<u8> {
    let mut r = Rng(seed);
    let mut features = Vec::new();
    for i in 1..=n {
        let lon = center.1 + r.float(-0.04, 0.04);
        let lat = center.0 + r.float(-0.025, 0.025);
        let mut p = serde_json::Map::new();
        p.insert("id".into(), serde_json::json!(i));
        p.insert("name".into(), serde_json::json!(format!("{name} {i}")));
        for (k, values) in props {
            let v = values[(r.next() as usize) % values.len()];
            p.insert((*k).into(), serde_json::json!(v));
        }
        features.push(serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [ (lon * 1e6).round() / 1e6, (lat * 1e6).round() / 1e6 ]},
            "properties": p,
        }));
    }
    serde_json::to_vec_pretty(
        &serde_json::json!({"type": "FeatureCollection", "features": features}),
    )
    .unwrap_or_default()
}

pub(super) fn trees_csv() -> Vec<u8> {
    let mut r = Rng(11);
    let species = [
        "Spitzahorn",
        "Winterlinde",
        "Stieleiche",
        "Hainbuche",
        "Rotbuche",
        "Esche",
        "Vogelkirsche",
        "Bergahorn",
        "Platane",
        "Robinie",
    ];
    let streets = [
        "Bahnhofstraße",
        "Friedhofstraße",
        "Gartenstraße",
        "Ulmer Straße",
        "Stuttgarter Straße",
        "Hopfenstraße",
        "Wilhelm-Merz-Straße",
        "Weidenfelder Straße",
    ];
    let mut s = String::from(
        "Baumnummer;Baumart;Straße;Pflanzjahr;Stammumfang (cm);Kronendurchmesser (m);Breitengrad;Längengrad\r\n",
    );
    for i in 1..=400 {
        s.push_str(&format!(
            "A-{i:05};{};{};{};{};{};{};{}\r\n",
            species[r.range(0, 9) as usize],
            streets[r.range(0, 7) as usize],
            r.range(1950, 2022),
            r.range(20, 320),
            de(r.float(2.0, 18.0), 1),
            de(48.8375 + r.float(-0.02, 0.02), 6),
            de(10.0933 + r.float(-0.03, 0.03), 6),
        ));
    }
    s.into_bytes()
}

pub(super) fn budget_csv() -> Vec<u8> {
    let mut r = Rng(7);
    let items = [
        ("1", "Innere Verwaltung"),
        ("2", "Sicherheit und Ordnung"),
        ("3", "Schulträgeraufgaben"),
        ("4", "Kultur und Wissenschaft"),
        ("5", "Soziale Leistungen"),
        ("6", "Kinder-, Jugend- und Familienhilfe"),
        ("7", "Gesundheit und Sport"),
        ("8", "Gestaltung der Umwelt"),
        ("9", "Zentrale Finanzleistungen"),
    ];
    let mut s = String::from(
        "Teilhaushalt;Bezeichnung;Erträge 2025 (EUR);Aufwendungen 2025 (EUR);Ergebnis 2025 (EUR)\r\n",
    );
    for (code, name) in items {
        let income = r.range(1_000_000, 90_000_000);
        let cost = r.range(5_000_000, 95_000_000);
        let fmt = |v: i64| {
            let neg = v < 0;
            let digits = v.abs().to_string();
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    out.push('.');
                }
                out.push(c);
            }
            format!("{}{out},00", if neg { "-" } else { "" })
        };
        s.push_str(&format!(
            "{code};{name};{};{};{}\r\n",
            fmt(income),
            fmt(cost),
            fmt(income - cost)
        ));
    }
    // City finance exports still arrive as Windows-1252.
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&s);
    bytes.into_owned()
}

pub(super) fn monthly_csv(seed: u64, header: &str, lo: f64, hi: f64, decimals: usize) -> Vec<u8> {
    let mut r = Rng(seed);
    let mut s = format!("Monat;{header}\r\n");
    for year in 2022..=2024 {
        for month in 1..=12 {
            s.push_str(&format!(
                "01.{month:02}.{year};{}\r\n",
                de(r.float(lo, hi), decimals)
            ));
        }
    }
    s.into_bytes()
}

pub(super) fn daily_csv(seed: u64, header: &str, columns: usize, lo: i64, hi: i64) -> Vec<u8> {
    let mut r = Rng(seed);
    let mut s = format!("Datum;{header}\r\n");
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    for d in 0..120 {
        let day = start + chrono::Duration::days(d);
        let values: Vec<String> = (0..columns).map(|_| r.range(lo, hi).to_string()).collect();
        s.push_str(&format!(
            "{};{}\r\n",
            day.format("%d.%m.%Y"),
            values.join(";")
        ));
    }
    s.into_bytes()
}

pub(super) fn list_csv(header: &str, rows: &[&str]) -> Vec<u8> {
    let mut s = format!("{header}\r\n");
    for row in rows {
        s.push_str(row);
        s.push_str("\r\n");
    }
    s.into_bytes()
}
