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

/// The areas of Aalen's development plans as the planning office exports them: polygons in
/// ETRS89 / UTM 32N, named in the GeoJSON 2008 `crs` member.
pub(super) fn plan_areas_geojson() -> Vec<u8> {
    const PLANS: &[(&str, &str, &str)] = &[
        ("Stadtoval", "01-04/2", "Mischgebiet"),
        ("Hirschbachtal Nord", "02-11/1", "Allgemeines Wohngebiet"),
        ("Weststadt Süd", "03-07/3", "Allgemeines Wohngebiet"),
        ("Rötenberg", "04-02/1", "Allgemeines Wohngebiet"),
        ("Galgenberg II", "05-09/2", "Allgemeines Wohngebiet"),
        ("Wasseralfingen Ortsmitte", "21-03/4", "Mischgebiet"),
        ("Unterkochen Kocherwiesen", "31-06/1", "Gewerbegebiet"),
        ("Industriegebiet West III", "06-14/2", "Industriegebiet"),
        ("Dewangen Nord", "41-01/1", "Allgemeines Wohngebiet"),
        ("Ebnat Am Sportplatz", "51-02/1", "Sondergebiet Sport"),
        ("Hofherrnweiler Süd", "07-05/2", "Allgemeines Wohngebiet"),
        ("Greut Erweiterung", "08-03/1", "Gewerbegebiet"),
    ];
    let mut r = Rng(31);
    // Aalen's market square in UTM 32N; the plans lie within a few kilometres.
    let (cx, cy) = (580_225.0, 5_410_001.0);
    let mut features = Vec::new();
    for (i, (name, number, kind)) in PLANS.iter().enumerate() {
        let (x, y) = (cx + r.float(-3500.0, 3500.0), cy + r.float(-3000.0, 3000.0));
        let size = r.float(120.0, 420.0);
        // A simple polygon: vertices around the centre at rising angles.
        let corners = 5 + (r.next() % 4) as usize;
        let mut ring: Vec<[f64; 2]> = (0..corners)
            .map(|k| {
                let a = std::f64::consts::TAU * (k as f64 + r.float(-0.2, 0.2)) / corners as f64;
                let d = size * r.float(0.7, 1.0);
                [
                    ((x + d * a.cos()) * 100.0).round() / 100.0,
                    ((y + d * a.sin()) * 100.0).round() / 100.0,
                ]
            })
            .collect();
        ring.push(ring[0]);
        let area: f64 = ring
            .windows(2)
            .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
            .sum::<f64>()
            / 2.0;
        features.push(serde_json::json!({
            "type": "Feature",
            "properties": {
                "Plannummer": number,
                "Bezeichnung": format!("Bebauungsplan „{name}“"),
                "Art der baulichen Nutzung": kind,
                "rechtskräftig seit": format!("{}-{:02}-{:02}", 2005 + (i * 7) % 19, 1 + r.next() % 12, 1 + r.next() % 28),
                "Fläche (ha)": (area.abs() / 100.0).round() / 100.0,
            },
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }));
    }
    serde_json::to_vec_pretty(&serde_json::json!({
        "type": "FeatureCollection",
        "name": "Geltungsbereiche_Bebauungsplaene",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
        "features": features,
    }))
    .unwrap_or_default()
}

/// Heidenheim's signposted cycle routes as GPS tracks (GPX 1.1), as a tourist office
/// publishes them for navigation apps.
pub(super) fn cycle_routes_gpx() -> Vec<u8> {
    const ROUTES: &[(&str, &str, f64, f64, f64)] = &[
        (
            "Brenzradweg (Abschnitt Heidenheim)",
            "Flussradweg entlang der Brenz",
            0.0,
            1.0,
            0.055,
        ),
        (
            "Härtsfeld-Runde",
            "Rundtour über das Härtsfeld",
            0.9,
            0.5,
            0.035,
        ),
        (
            "Schlossberg-Runde",
            "Kurze Runde um Schloss Hellenstein",
            2.1,
            0.3,
            0.012,
        ),
    ];
    let mut r = Rng(41);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"Stadt Heidenheim\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n",
    );
    for (name, desc, heading, bend, length) in ROUTES {
        out.push_str(&format!(
            "  <trk><name>{name}</name><desc>{desc}</desc><type>Radweg</type><trkseg>\n"
        ));
        let (mut lat, mut lon) = (HDH_CENTRE.0, HDH_CENTRE.1);
        let mut ele = 500.0;
        for k in 0..60 {
            let t = k as f64 / 59.0;
            let a = heading + bend * (t * std::f64::consts::TAU).sin();
            lat += length / 60.0 * a.cos();
            lon += length / 60.0 * a.sin() * 1.5;
            ele += r.float(-4.0, 4.0);
            out.push_str(&format!(
                "    <trkpt lat=\"{:.6}\" lon=\"{:.6}\"><ele>{:.1}</ele></trkpt>\n",
                lat, lon, ele
            ));
        }
        out.push_str("  </trkseg></trk>\n");
    }
    out.push_str("</gpx>\n");
    out.into_bytes()
}

/// Heidenheim's centre (latitude, longitude).
const HDH_CENTRE: (f64, f64) = (48.6767, 10.1511);
