//! Pictures visitors and publishers upload (organization logos, showcase images): what they
//! are is read from their first bytes, never from a name or a declared type, and only raster
//! formats a browser shows without running anything are taken (no SVG: it can carry script).
//! Before a picture is stored, what cameras and editors write beside the pixels goes: EXIF
//! (where a photo was taken, the camera's serial number, the owner's name), XMP, IPTC,
//! comments and text chunks. The pixels are not touched (nothing is decoded or re-encoded).

use allmende_core::FieldErrors;

use crate::resources::Upload;
use crate::{App, AppError, AppResult};

/// The largest picture taken, in bytes.
pub const MAX_IMAGE_BYTES: u64 = 2 * 1024 * 1024;

impl App {
    /// An uploaded picture of `media_type` as it may be published: staged anew without its
    /// metadata when it had any. A file whose container is broken is refused (`image` field).
    pub async fn publishable_picture(
        &self,
        mut upload: Upload,
        media_type: &str,
    ) -> AppResult<Upload> {
        let size = upload.staged.size();
        if size > MAX_IMAGE_BYTES {
            return Err(allmende_catalog::UploadError::TooLarge {
                limit: MAX_IMAGE_BYTES,
            }
            .into());
        }
        // At most 2 MB, so in memory.
        let bytes = upload.staged.head(size as usize).await?;
        let Some(clean) = without_metadata(media_type, &bytes) else {
            return Err(AppError::Validation(FieldErrors::single(
                "image",
                "image_type",
            )));
        };
        if clean == bytes {
            return Ok(upload);
        }
        self.stage_bytes(&clean, &upload.file_name, MAX_IMAGE_BYTES)
            .await
    }
}

/// The media type of a PNG, JPEG or WebP picture from its first 12 bytes.
pub fn image_type(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The file name extension for a media type [`image_type`] returns.
pub fn extension(media_type: &str) -> &'static str {
    match media_type {
        "image/png" => "png",
        "image/webp" => "webp",
        _ => "jpg",
    }
}

/// The picture without its metadata, or `None` when it is not a well-formed file of
/// `media_type` as far as its container goes. A JPEG keeps its EXIF orientation (as a minimal
/// EXIF block of that one tag), so that a phone photo is not shown on its side.
pub fn without_metadata(media_type: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    match media_type {
        "image/png" => png(bytes),
        "image/jpeg" => jpeg(bytes),
        "image/webp" => webp(bytes),
        _ => None,
    }
}

fn png(b: &[u8]) -> Option<Vec<u8>> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !b.starts_with(SIGNATURE) {
        return None;
    }
    let mut out = SIGNATURE.to_vec();
    let mut i = SIGNATURE.len();
    loop {
        let len = u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?) as usize;
        let kind = b.get(i + 4..i + 8)?;
        // Length, type, data, CRC.
        let end = i.checked_add(12)?.checked_add(len)?;
        let chunk = b.get(i..end)?;
        if !matches!(kind, b"tEXt" | b"zTXt" | b"iTXt" | b"eXIf" | b"tIME") {
            out.extend_from_slice(chunk);
        }
        i = end;
        if kind == b"IEND" {
            return Some(out);
        }
    }
}

fn jpeg(b: &[u8]) -> Option<Vec<u8>> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut i = 2;
    let mut orientation = None;
    // Where a JFIF reader expects other application segments: after APP0.
    let mut insert_at = out.len();
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        // Any number of fill bytes may precede a marker.
        while *b.get(i)? == 0xFF {
            i += 1;
        }
        let marker = b[i];
        i += 1;
        if matches!(marker, 0x01 | 0xD0..=0xD7) {
            out.extend_from_slice(&[0xFF, marker]);
            continue;
        }
        if marker == 0xD9 {
            out.extend_from_slice(&[0xFF, marker]);
            break;
        }
        let len = usize::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
        let segment = b.get(i..i.checked_add(len)?)?;
        if len < 2 {
            return None;
        }
        let body = &segment[2..];
        // APP1 (EXIF, XMP), APP13 (IPTC, Photoshop), COM. ICC profiles (APP2) and Adobe's
        // colour transform (APP14) decide how the pixels look: kept.
        let discard = matches!(marker, 0xE1 | 0xED | 0xFE);
        if marker == 0xE1 && orientation.is_none() {
            orientation = body.strip_prefix(b"Exif\0\0").and_then(exif_orientation);
        }
        if !discard {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(segment);
            if marker == 0xE0 {
                insert_at = out.len();
            }
        }
        i += len;
        if marker == 0xDA {
            // The entropy-coded scans and everything after them, as they are.
            out.extend_from_slice(&b[i..]);
            break;
        }
    }
    if let Some(o) = orientation.filter(|o| *o != 1) {
        // EXIF with a big-endian TIFF header and one IFD of one entry: Orientation, SHORT.
        let mut exif = vec![0xFF, 0xE1, 0, 34];
        exif.extend_from_slice(b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01");
        exif.extend_from_slice(&o.to_be_bytes());
        exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        out.splice(insert_at..insert_at, exif);
    }
    Some(out)
}

/// The Orientation tag (1–8) of an EXIF block's first IFD.
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let little = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |p: usize| -> Option<u16> {
        let s: [u8; 2] = tiff.get(p..p.checked_add(2)?)?.try_into().ok()?;
        Some(if little {
            u16::from_le_bytes(s)
        } else {
            u16::from_be_bytes(s)
        })
    };
    let u32_at = |p: usize| -> Option<u32> {
        let s: [u8; 4] = tiff.get(p..p.checked_add(4)?)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    };
    let ifd = u32_at(4)? as usize;
    let entries = usize::from(u16_at(ifd)?);
    (0..entries).find_map(|k| {
        let entry = ifd.checked_add(2 + k * 12)?;
        (u16_at(entry)? == 0x0112)
            .then(|| u16_at(entry + 8))
            .flatten()
            .filter(|v| (1..=8).contains(v))
    })
}

fn webp(b: &[u8]) -> Option<Vec<u8>> {
    if b.len() < 12 || &b[..4] != b"RIFF" || &b[8..12] != b"WEBP" {
        return None;
    }
    let end = 8usize.checked_add(u32::from_le_bytes(b[4..8].try_into().ok()?) as usize)?;
    let b = b.get(..end)?;
    let mut out = b"RIFF\0\0\0\0WEBP".to_vec();
    let mut extended = None;
    let mut i = 12;
    while i < b.len() {
        let kind = b.get(i..i + 4)?;
        let len = u32::from_le_bytes(b.get(i + 4..i + 8)?.try_into().ok()?) as usize;
        // Chunks are padded to an even length.
        let next = i.checked_add(8)?.checked_add(len)?.checked_add(len & 1)?;
        let chunk = b.get(i..next)?;
        if kind != b"EXIF" && kind != b"XMP " {
            if kind == b"VP8X" {
                extended = Some(out.len());
            }
            out.extend_from_slice(chunk);
        }
        i = next;
    }
    // The extended header announces EXIF (0x08) and XMP (0x04) chunks: they are gone.
    if let Some(p) = extended {
        *out.get_mut(p + 8)? &= !(0x08 | 0x04);
    }
    let size = u32::try_from(out.len() - 8).ok()?;
    out[4..8].copy_from_slice(&size.to_le_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_pictures_by_content() {
        assert_eq!(
            image_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some("image/png")
        );
        assert_eq!(
            image_type(b"\xff\xd8\xff\xe0\0\x10JFIF"),
            Some("image/jpeg")
        );
        assert_eq!(image_type(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"<svg xmlns="), None);
        assert_eq!(image_type(b"GIF89a"), None);
        assert_eq!(image_type(b"RIFF\x24\0\0\0WAVE"), None);
        assert_eq!(image_type(b""), None);
        assert_eq!(extension("image/webp"), "webp");
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    }

    #[test]
    fn png_loses_its_text_and_exif() {
        let mut file = b"\x89PNG\r\n\x1a\n".to_vec();
        let ihdr = png_chunk(b"IHDR", &[0; 13]);
        let idat = png_chunk(b"IDAT", b"pixels");
        file.extend(&ihdr);
        file.extend(png_chunk(b"tEXt", b"Author\0Erika Mustermann"));
        file.extend(png_chunk(b"eXIf", b"MM\0*GPS"));
        file.extend(&idat);
        file.extend(png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x/>"));
        file.extend(png_chunk(b"IEND", b""));
        let clean = without_metadata("image/png", &file).unwrap();
        let mut expected = b"\x89PNG\r\n\x1a\n".to_vec();
        expected.extend(ihdr);
        expected.extend(idat);
        expected.extend(png_chunk(b"IEND", b""));
        assert_eq!(clean, expected);
        // Cut short: not a picture.
        assert_eq!(without_metadata("image/png", &file[..30]), None);
    }

    /// An EXIF block as cameras write it (little-endian), with orientation and a GPS pointer.
    fn camera_exif(orientation: u16) -> Vec<u8> {
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&2u16.to_le_bytes());
        for (tag, kind, value) in [(0x0112u16, 3u16, u32::from(orientation)), (0x8825, 4, 38)] {
            tiff.extend_from_slice(&tag.to_le_bytes());
            tiff.extend_from_slice(&kind.to_le_bytes());
            tiff.extend_from_slice(&1u32.to_le_bytes());
            tiff.extend_from_slice(&value.to_le_bytes());
        }
        tiff.extend_from_slice(&[0; 4]);
        tiff.extend_from_slice(b"48.8378N 10.0933E Erika Mustermann");
        let mut seg = vec![0xFF, 0xE1];
        seg.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
        seg.extend_from_slice(b"Exif\0\0");
        seg.extend(tiff);
        seg
    }

    #[test]
    fn jpeg_keeps_its_pixels_and_orientation_only() {
        let app0 = b"\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0".to_vec();
        let scan = b"\xff\xdb\0\x04\0\0\xff\xda\0\x04\0\0\x12\x34\xff\0\x56\xff\xd9".to_vec();
        let mut file = vec![0xFF, 0xD8];
        file.extend(&app0);
        file.extend(camera_exif(6));
        file.extend(b"\xff\xfe\0\x0bKommentar");
        file.extend(b"\xff\xe2\0\x06ICC\0");
        file.extend(&scan);
        let clean = without_metadata("image/jpeg", &file).unwrap();
        let text = String::from_utf8_lossy(&clean);
        assert!(
            !text.contains("Mustermann")
                && !text.contains("48.8378")
                && !text.contains("Kommentar")
        );
        assert!(clean.ends_with(&scan), "the scan is untouched");
        assert!(
            clean.windows(6).any(|w| w == b"ICC\0\xff\xdb"),
            "the colour profile stays"
        );
        // SOI, APP0, then the orientation alone, and it reads back as 6.
        assert_eq!(&clean[2..2 + app0.len()], &app0[..]);
        let exif = &clean[2 + app0.len()..];
        assert_eq!(&exif[..4], &[0xFF, 0xE1, 0, 34]);
        assert_eq!(exif_orientation(&exif[10..36]), Some(6));
        // Upright photos need no EXIF at all; broken ones are refused.
        let mut upright = vec![0xFF, 0xD8];
        upright.extend(camera_exif(1));
        upright.extend(&scan);
        assert_eq!(
            without_metadata("image/jpeg", &upright).unwrap(),
            [&[0xFF, 0xD8][..], &scan].concat()
        );
        assert_eq!(without_metadata("image/jpeg", &file[..12]), None);
        assert_eq!(
            without_metadata("image/jpeg", b"\xff\xd8\xff\xe1\0\x01"),
            None
        );
    }

    #[test]
    fn webp_loses_exif_and_xmp() {
        fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
            let mut c = kind.to_vec();
            c.extend_from_slice(&(data.len() as u32).to_le_bytes());
            c.extend_from_slice(data);
            if data.len() % 2 == 1 {
                c.push(0);
            }
            c
        }
        let vp8x = chunk(b"VP8X", &[0x08 | 0x04 | 0x10, 0, 0, 0, 9, 0, 0, 9, 0, 0]);
        let image = chunk(b"VP8L", b"pixels!");
        let mut body = b"WEBP".to_vec();
        body.extend(&vp8x);
        body.extend(&image);
        body.extend(chunk(b"EXIF", b"MM\0*Erika"));
        body.extend(chunk(b"XMP ", b"<x:xmpmeta/>"));
        let mut file = b"RIFF".to_vec();
        file.extend_from_slice(&(body.len() as u32).to_le_bytes());
        file.extend(body);
        let clean = without_metadata("image/webp", &file).unwrap();
        let mut expected_vp8x = vp8x.clone();
        expected_vp8x[8] = 0x10;
        let mut expected = b"RIFF".to_vec();
        expected.extend_from_slice(&((4 + vp8x.len() + image.len()) as u32).to_le_bytes());
        expected.extend_from_slice(b"WEBP");
        expected.extend(expected_vp8x);
        expected.extend(image);
        assert_eq!(clean, expected);
        assert_eq!(without_metadata("image/webp", &file[..20]), None);
    }
}
