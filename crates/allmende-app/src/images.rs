//! Pictures visitors and publishers upload (organization logos, showcase images): what they
//! are is read from their first bytes, never from a name or a declared type, and only raster
//! formats a browser shows without running anything are taken (no SVG: it can carry script).

/// The largest picture taken, in bytes.
pub const MAX_IMAGE_BYTES: u64 = 2 * 1024 * 1024;

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
}
