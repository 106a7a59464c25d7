//! A small raster for overview images: features drawn in Web Mercator (as on the portal's
//! maps) onto a plain background, areas filled, lines and points on top, written as PNG. No
//! tiles: the image is made on the server, which must not fetch anything for it.

use std::io::Write as _;

use super::Geometry;

const BACKGROUND: [u8; 3] = [0xf3, 0xf5, 0xf7];
const FRAME: [u8; 3] = [0xc9, 0xd1, 0xd9];
/// The portal's accent blue.
const INK: [u8; 3] = [0x00, 0x5c, 0xa9];

pub struct Canvas {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
    /// Longitude/latitude → pixel: `x = (lon - west) * scale + dx`, likewise for the
    /// Mercator northing, top down.
    west: f64,
    north: f64,
    scale: f64,
    dx: f64,
    dy: f64,
}

fn mercator_y(lat: f64) -> f64 {
    let lat = lat.clamp(-85.0511, 85.0511).to_radians();
    (std::f64::consts::FRAC_PI_4 + lat / 2.0)
        .tan()
        .ln()
        .to_degrees()
}

impl Canvas {
    /// A `width × height` image showing `bbox` (`[w, s, e, n]` in WGS 84), centred, with a
    /// margin, in one scale for both axes.
    pub fn new(width: u32, height: u32, bbox: [f64; 4]) -> Canvas {
        let (width, height) = (width.clamp(16, 2048), height.clamp(16, 2048));
        let [w, s, e, n] = bbox;
        let (top, bottom) = (mercator_y(n), mercator_y(s));
        // A single point (or a tiny extent) still gets a sensible scale.
        let span_x = (e - w).max(1e-4);
        let span_y = (top - bottom).max(1e-4);
        let margin = 12.0;
        let scale = ((f64::from(width) - 2.0 * margin) / span_x)
            .min((f64::from(height) - 2.0 * margin) / span_y);
        let dx = (f64::from(width) - (e - w) * scale) / 2.0;
        let dy = (f64::from(height) - (top - bottom) * scale) / 2.0;
        let mut rgb = Vec::with_capacity((width * height * 3) as usize);
        for _ in 0..width * height {
            rgb.extend_from_slice(&BACKGROUND);
        }
        let mut c = Canvas {
            width,
            height,
            rgb,
            west: w,
            north: top,
            scale,
            dx,
            dy,
        };
        c.frame();
        c
    }

    fn frame(&mut self) {
        let (w, h) = (self.width as i64, self.height as i64);
        for x in 0..w {
            self.blend(x, 0, FRAME, 1.0);
            self.blend(x, h - 1, FRAME, 1.0);
        }
        for y in 0..h {
            self.blend(0, y, FRAME, 1.0);
            self.blend(w - 1, y, FRAME, 1.0);
        }
    }

    fn project(&self, c: &[f64; 2]) -> (f64, f64) {
        (
            (c[0] - self.west) * self.scale + self.dx,
            (self.north - mercator_y(c[1])) * self.scale + self.dy,
        )
    }

    fn blend(&mut self, x: i64, y: i64, color: [u8; 3], alpha: f64) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let i = ((y as u32 * self.width + x as u32) * 3) as usize;
        for (k, c) in color.iter().enumerate() {
            let old = f64::from(self.rgb[i + k]);
            self.rgb[i + k] = (old + (f64::from(*c) - old) * alpha).round() as u8;
        }
    }

    fn dot(&mut self, c: &[f64; 2], radius: f64) {
        let (cx, cy) = self.project(c);
        let r = radius.ceil() as i64;
        for y in -r..=r {
            for x in -r..=r {
                let d = ((x * x + y * y) as f64).sqrt();
                if d <= radius + 0.5 {
                    let alpha = (radius + 0.5 - d).clamp(0.0, 1.0);
                    self.blend(cx.round() as i64 + x, cy.round() as i64 + y, INK, alpha);
                }
            }
        }
    }

    fn segment(&mut self, a: (f64, f64), b: (f64, f64)) {
        let steps = (b.0 - a.0)
            .abs()
            .max((b.1 - a.1).abs())
            .ceil()
            .clamp(1.0, 8192.0) as i64;
        for i in 0..=steps {
            let t = i as f64 / steps as f64;
            let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            // Two pixels wide.
            for (ox, oy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                self.blend(x.floor() as i64 + ox, y.floor() as i64 + oy, INK, 0.9);
            }
        }
    }

    fn line(&mut self, coords: &[[f64; 2]]) {
        let pts: Vec<(f64, f64)> = coords.iter().map(|c| self.project(c)).collect();
        for w in pts.windows(2) {
            self.segment(w[0], w[1]);
        }
    }

    /// Fills rings by the even-odd rule (holes stay open), then draws their outlines.
    fn area(&mut self, rings: &[Vec<[f64; 2]>]) {
        let rings: Vec<Vec<(f64, f64)>> = rings
            .iter()
            .map(|r| r.iter().map(|c| self.project(c)).collect())
            .collect();
        let (mut top, mut bottom) = (f64::MAX, f64::MIN);
        for p in rings.iter().flatten() {
            top = top.min(p.1);
            bottom = bottom.max(p.1);
        }
        let from = top.floor().max(0.0) as i64;
        let to = bottom.ceil().min(f64::from(self.height)) as i64;
        let mut xs = Vec::new();
        for y in from..to {
            let sy = y as f64 + 0.5;
            xs.clear();
            for r in &rings {
                for w in r.windows(2) {
                    let ((x0, y0), (x1, y1)) = (w[0], w[1]);
                    if (y0 <= sy) != (y1 <= sy) {
                        xs.push(x0 + (sy - y0) / (y1 - y0) * (x1 - x0));
                    }
                }
            }
            xs.sort_by(f64::total_cmp);
            for pair in xs.chunks(2) {
                if let [a, b] = pair {
                    let (a, b) = (
                        a.round().max(0.0) as i64,
                        b.round().min(f64::from(self.width)) as i64,
                    );
                    for x in a..b {
                        self.blend(x, y, INK, 0.3);
                    }
                }
            }
        }
        for r in &rings {
            for w in r.windows(2) {
                self.segment(w[0], w[1]);
            }
        }
    }

    /// Draws a feature: areas filled and outlined, lines two pixels wide, points as dots
    /// (smaller when there are many).
    pub fn draw(&mut self, g: &Geometry, point_radius: f64) {
        match g {
            Geometry::Point(p) => self.dot(p, point_radius),
            Geometry::MultiPoint(ps) => ps.iter().for_each(|p| self.dot(p, point_radius)),
            Geometry::LineString(l) => self.line(l),
            Geometry::MultiLineString(ls) => ls.iter().for_each(|l| self.line(l)),
            Geometry::Polygon(rings) => self.area(rings),
            Geometry::MultiPolygon(ps) => ps.iter().for_each(|p| self.area(p)),
            Geometry::Collection(gs) => gs.iter().for_each(|g| self.draw(g, point_radius)),
        }
    }

    /// The image as PNG (8-bit RGB, zlib-compressed rows without filters).
    pub fn png(&self) -> Vec<u8> {
        fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let mut crc = crc32fast::Hasher::new();
            crc.update(kind);
            crc.update(data);
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            out.extend_from_slice(&crc.finalize().to_be_bytes());
        }
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut header = Vec::with_capacity(13);
        header.extend_from_slice(&self.width.to_be_bytes());
        header.extend_from_slice(&self.height.to_be_bytes());
        // 8 bits per channel, RGB, deflate, adaptive filtering, no interlace.
        header.extend_from_slice(&[8, 2, 0, 0, 0]);
        chunk(&mut out, b"IHDR", &header);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        let row = (self.width * 3) as usize;
        for line in self.rgb.chunks(row) {
            // Filter type 0 (none) before each row; writing to memory cannot fail.
            let _ = z.write_all(&[0]);
            let _ = z.write_all(line);
        }
        let data = z.finish().unwrap_or_default();
        chunk(&mut out, b"IDAT", &data);
        chunk(&mut out, b"IEND", &[]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(c: &Canvas, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * c.width + x) * 3) as usize;
        [c.rgb[i], c.rgb[i + 1], c.rgb[i + 2]]
    }

    #[test]
    fn draws_areas_with_holes_and_writes_png() {
        let bbox = [10.0, 48.0, 10.1, 48.1];
        let mut c = Canvas::new(100, 100, bbox);
        // A square over the whole extent with a hole in its middle.
        let outer = vec![
            [10.0, 48.0],
            [10.1, 48.0],
            [10.1, 48.1],
            [10.0, 48.1],
            [10.0, 48.0],
        ];
        let hole = vec![
            [10.04, 48.04],
            [10.06, 48.04],
            [10.06, 48.06],
            [10.04, 48.06],
            [10.04, 48.04],
        ];
        c.draw(&Geometry::Polygon(vec![outer, hole]), 2.0);
        assert_eq!(pixel(&c, 50, 50), BACKGROUND, "the hole stays open");
        assert_ne!(pixel(&c, 25, 25), BACKGROUND, "the area is filled");
        assert_eq!(pixel(&c, 5, 50), BACKGROUND, "the margin stays empty");
        let png = c.png();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&png[12..16], b"IHDR");
        assert!(png.ends_with(&[0xae, 0x42, 0x60, 0x82]), "IEND's CRC");
    }
}
