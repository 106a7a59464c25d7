//! The coordinate reference systems German municipal geodata comes in, how a file names them,
//! how to recognise them from coordinate ranges when it does not, and the transformation to
//! WGS 84 longitude/latitude in which spatial tables are stored.
//!
//! DHDN / Gauß-Krüger zone 3 (EPSG:31467) goes through the seven-parameter Helmert shift that
//! PROJ's `+towgs84` for Germany uses (598.1, 73.7, 418.2, 0.202, 0.045, −2.455, 6.7): metre-level
//! (about 1–3 m in Baden-Württemberg against the BeTA2007 or BWTA2017 grids, which would need
//! their grid files; see docs/geodata.md).

use proj4rs::proj::Proj;

/// A supported CRS. Coordinates inside the data plane are always `(x, y)` = (easting or
/// longitude, northing or latitude), whatever the CRS's official axis order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Crs {
    /// WGS 84 longitude/latitude (`OGC:CRS84`, EPSG:4326 read in GeoJSON's axis order).
    Wgs84,
    /// ETRS89 / UTM zone 32N.
    Utm32,
    /// ETRS89 / UTM zone 33N.
    Utm33,
    /// DHDN / 3-degree Gauß-Krüger zone 3.
    Gk3,
    /// WGS 84 / Pseudo-Mercator (web maps).
    WebMercator,
}

impl Crs {
    pub const ALL: [Crs; 5] = [
        Crs::Wgs84,
        Crs::Utm32,
        Crs::Utm33,
        Crs::Gk3,
        Crs::WebMercator,
    ];

    pub fn epsg(self) -> u32 {
        match self {
            Crs::Wgs84 => 4326,
            Crs::Utm32 => 25832,
            Crs::Utm33 => 25833,
            Crs::Gk3 => 31467,
            Crs::WebMercator => 3857,
        }
    }

    pub fn from_epsg(code: u32) -> Option<Crs> {
        Self::ALL.into_iter().find(|c| c.epsg() == code)
    }

    /// The OGC URI (`http://www.opengis.net/def/crs/EPSG/0/25832`; CRS84 for WGS 84).
    pub fn uri(self) -> String {
        match self {
            Crs::Wgs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84".to_string(),
            other => format!("http://www.opengis.net/def/crs/EPSG/0/{}", other.epsg()),
        }
    }

    /// Reads the names files and requests use: `EPSG:25832`, `urn:ogc:def:crs:EPSG::25832`,
    /// `http://www.opengis.net/def/crs/EPSG/0/25832`, `CRS84`, `urn:ogc:def:crs:OGC:1.3:CRS84`.
    pub fn parse(name: &str) -> Option<Crs> {
        let n = name.trim();
        let lower = n.to_ascii_lowercase();
        if lower.ends_with("crs84") || lower == "wgs84" {
            return Some(Crs::Wgs84);
        }
        let code = lower
            .rsplit([':', '/'])
            .find(|part| !part.is_empty())
            .and_then(|c| c.parse::<u32>().ok())?;
        if !(lower.contains("epsg") || lower.chars().all(|c| c.is_ascii_digit())) {
            return None;
        }
        match code {
            4258 | 4326 => Some(Crs::Wgs84),
            900913 | 3857 => Some(Crs::WebMercator),
            c => Self::from_epsg(c),
        }
    }

    /// Reads a WKT definition (a Shapefile's `.prj`, a GeoPackage's `definition`): the EPSG
    /// code of the outermost `AUTHORITY`/`ID` when there is one, else the CRS's name as ESRI,
    /// GDAL and QGIS write it. `Err` carries the name for a CRS we do not support.
    pub fn from_wkt(wkt: &str) -> Result<Crs, String> {
        let name = wkt
            .split('"')
            .nth(1)
            .unwrap_or(wkt)
            .chars()
            .take(100)
            .collect::<String>();
        // The outermost object's identifier is the last one, at bracket depth one (an inner
        // datum's or base CRS's identifier does not name the CRS).
        let upper = wkt.to_ascii_uppercase();
        let depth = |at: usize| {
            upper[..at].chars().fold(0i32, |d, c| match c {
                '[' | '(' => d + 1,
                ']' | ')' => d - 1,
                _ => d,
            })
        };
        let last_id = ["AUTHORITY[\"EPSG\",", "ID[\"EPSG\","]
            .iter()
            .filter_map(|key| upper.rfind(key).map(|at| (at, at + key.len())))
            .max()
            .filter(|(at, _)| depth(*at) == 1)
            .map(|(_, end)| end);
        if let Some(at) = last_id {
            let code: String = wkt[at..]
                .trim_start_matches(['"', ' '])
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Some(crs) = code
                .parse::<u32>()
                .ok()
                .and_then(|c| Crs::parse(&format!("EPSG:{c}")))
            {
                return Ok(crs);
            }
            return Err(name);
        }
        let key: String = name
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let has = |s: &str| key.contains(s);
        let etrs = has("etrs") || has("etrf");
        let projected =
            upper.trim_start().starts_with("PROJCS") || upper.trim_start().starts_with("PROJCRS");
        let found = if !projected && (has("wgs_1984") || has("wgs_84") || has("wgs84") || etrs) {
            Some(Crs::Wgs84)
        } else if etrs && has("utm") && has("32") {
            Some(Crs::Utm32)
        } else if etrs && has("utm") && has("33") {
            Some(Crs::Utm33)
        } else if (has("gauss") || has("gk") || has("dhdn")) && (has("zone_3") || has("gk3")) {
            Some(Crs::Gk3)
        } else if has("pseudo_mercator") || has("web_mercator") || has("popular_visualisation") {
            Some(Crs::WebMercator)
        } else {
            None
        };
        found.ok_or(name)
    }

    /// The CRS a box of coordinates most likely is in, for files that do not say: longitude/
    /// latitude, UTM (taken as zone 32, the one of Baden-Württemberg, and to be confirmed by the
    /// publisher), or Gauß-Krüger zone 3 (eastings with the zone digit 3).
    pub fn guess(bbox: [f64; 4]) -> Option<Crs> {
        let [minx, miny, maxx, maxy] = bbox;
        let within = |lo: f64, hi: f64, a: f64, b: f64| a >= lo && b <= hi;
        if within(-180.0, 180.0, minx, maxx) && within(-90.0, 90.0, miny, maxy) {
            Some(Crs::Wgs84)
        } else if within(100_000.0, 900_000.0, minx, maxx)
            && within(5_000_000.0, 6_200_000.0, miny, maxy)
        {
            Some(Crs::Utm32)
        } else if within(3_100_000.0, 3_900_000.0, minx, maxx)
            && within(5_000_000.0, 6_200_000.0, miny, maxy)
        {
            Some(Crs::Gk3)
        } else {
            None
        }
    }

    /// Whether `(x, y)` lies where coordinates of this CRS can lie (a point outside is an
    /// error in the data or a wrong CRS).
    pub fn plausible(self, x: f64, y: f64) -> bool {
        match self {
            Crs::Wgs84 => (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y),
            // Eastings of a UTM zone (with the overlap German states use) and northings of the
            // northern hemisphere; degrees taken for metres fall outside.
            Crs::Utm32 | Crs::Utm33 => {
                (100_000.0..=900_000.0).contains(&x) && (0.0..=9_400_000.0).contains(&y)
            }
            Crs::Gk3 => {
                (3_100_000.0..=3_900_000.0).contains(&x) && (0.0..=9_400_000.0).contains(&y)
            }
            Crs::WebMercator => {
                (-20_037_508.35..=20_037_508.35).contains(&x)
                    && (-20_048_966.2..=20_048_966.2).contains(&y)
            }
        }
    }

    fn proj_string(self) -> &'static str {
        match self {
            Crs::Wgs84 => "+proj=longlat +datum=WGS84 +no_defs",
            Crs::Utm32 => {
                "+proj=utm +zone=32 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs"
            }
            Crs::Utm33 => {
                "+proj=utm +zone=33 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs"
            }
            Crs::Gk3 => {
                "+proj=tmerc +lat_0=0 +lon_0=9 +k=1 +x_0=3500000 +y_0=0 +ellps=bessel \
                 +towgs84=598.1,73.7,418.2,0.202,0.045,-2.455,6.7 +units=m +no_defs"
            }
            Crs::WebMercator => {
                "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +no_defs"
            }
        }
    }

    fn proj(self) -> Proj {
        // The strings are constants known to parse (a unit test parses every one).
        Proj::from_proj_string(self.proj_string()).expect("valid built-in projection")
    }
}

/// A transformation between two supported CRS, for many points.
pub struct Transform {
    from: Crs,
    to: Crs,
    projs: Option<(Proj, Proj)>,
}

#[derive(Debug, thiserror::Error)]
#[error("coordinate ({x}, {y}) cannot be transformed")]
pub struct TransformError {
    pub x: f64,
    pub y: f64,
}

impl Transform {
    pub fn new(from: Crs, to: Crs) -> Self {
        let projs = (from != to).then(|| (from.proj(), to.proj()));
        Self { from, to, projs }
    }

    pub fn is_identity(&self) -> bool {
        self.projs.is_none()
    }

    /// Transforms one point in place.
    pub fn apply(&self, x: &mut f64, y: &mut f64) -> Result<(), TransformError> {
        let Some((from, to)) = &self.projs else {
            return Ok(());
        };
        let (x0, y0) = (*x, *y);
        let mut p = if self.from == Crs::Wgs84 {
            (x0.to_radians(), y0.to_radians(), 0.0)
        } else {
            (x0, y0, 0.0)
        };
        proj4rs::transform::transform(from, to, &mut p)
            .map_err(|_| TransformError { x: x0, y: y0 })?;
        let (mut nx, mut ny) = (p.0, p.1);
        if self.to == Crs::Wgs84 {
            nx = nx.to_degrees();
            ny = ny.to_degrees();
        }
        if !nx.is_finite() || !ny.is_finite() {
            return Err(TransformError { x: x0, y: y0 });
        }
        *x = nx;
        *y = ny;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Aalen, market square. The expected values are PROJ's (`cs2cs` 9 from Debian), the GK3
    // ones with the same `+towgs84` as ours.
    const LON: f64 = 10.0933;
    const LAT: f64 = 48.8378;

    fn to(crs: Crs) -> (f64, f64) {
        let (mut x, mut y) = (LON, LAT);
        Transform::new(Crs::Wgs84, crs)
            .apply(&mut x, &mut y)
            .unwrap();
        (x, y)
    }

    fn back(crs: Crs, (mut x, mut y): (f64, f64)) -> (f64, f64) {
        Transform::new(crs, Crs::Wgs84)
            .apply(&mut x, &mut y)
            .unwrap();
        (x, y)
    }

    #[test]
    fn every_projection_parses() {
        for c in Crs::ALL {
            let _ = c.proj();
        }
    }

    #[test]
    fn known_points_agree_with_proj() {
        for (crs, ex, ey) in [
            (Crs::Utm32, 580225.4211, 5410001.3090),
            (Crs::Gk3, 3580333.2449, 5411726.7589),
            (Crs::WebMercator, 1123581.0164, 6247384.1280),
        ] {
            let (x, y) = to(crs);
            assert!(
                (x - ex).abs() < 0.01 && (y - ey).abs() < 0.01,
                "{crs:?}: {x} {y}"
            );
        }
    }

    #[test]
    fn round_trips_stay_within_a_centimetre() {
        for crs in Crs::ALL {
            let projected = to(crs);
            let (lon, lat) = back(crs, projected);
            // 1 cm is about 1.3e-7 degrees of longitude and 9e-8 of latitude here.
            assert!(
                (lon - LON).abs() < 1.3e-7 && (lat - LAT).abs() < 9e-8,
                "{crs:?}: {lon} {lat}"
            );
        }
    }

    #[test]
    fn names_and_guesses() {
        for (name, crs) in [
            ("urn:ogc:def:crs:EPSG::25832", Some(Crs::Utm32)),
            ("EPSG:31467", Some(Crs::Gk3)),
            (
                "http://www.opengis.net/def/crs/EPSG/0/25833",
                Some(Crs::Utm33),
            ),
            ("urn:ogc:def:crs:OGC:1.3:CRS84", Some(Crs::Wgs84)),
            (
                "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                Some(Crs::Wgs84),
            ),
            ("EPSG:4326", Some(Crs::Wgs84)),
            ("3857", Some(Crs::WebMercator)),
            ("EPSG:2056", None),
            ("Lambert", None),
        ] {
            assert_eq!(Crs::parse(name), crs, "{name}");
        }
        assert_eq!(Crs::guess([10.0, 48.8, 10.2, 48.9]), Some(Crs::Wgs84));
        assert_eq!(
            Crs::guess([570_000.0, 5_400_000.0, 590_000.0, 5_420_000.0]),
            Some(Crs::Utm32)
        );
        assert_eq!(
            Crs::guess([3_570_000.0, 5_400_000.0, 3_590_000.0, 5_420_000.0]),
            Some(Crs::Gk3)
        );
        assert_eq!(Crs::guess([1.0e7, 1.0e7, 2.0e7, 2.0e7]), None);
    }
}
