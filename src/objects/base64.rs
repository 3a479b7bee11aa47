//! Secret and config values are stored base64 (standard alphabet, padded),
//! through the `base64` crate. Its errors name the offending byte and its
//! offset; that byte may be one of a secret's, so a decode error here says
//! only what kind of fault it is.

use base64::alphabet::STANDARD;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{DecodeError, Engine};

/// Padded on both ways, as the values om writes are; trailing bits a hand
/// edit left set are taken (as om's own decoder before the crate took them).
const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

pub fn encode(bytes: &[u8]) -> String {
    ENGINE.encode(bytes)
}

/// Why a text is not base64: never a byte of it (it may be a secret).
#[derive(Debug, PartialEq)]
pub enum Base64Error {
    Length,
    Padding,
    NotBase64,
}

impl std::fmt::Display for Base64Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Base64Error::Length => "its length is not a multiple of 4",
            Base64Error::Padding => "misplaced '='",
            Base64Error::NotBase64 => "a character is not base64",
        })
    }
}

/// The bytes `text` (trimmed) encodes; the error never shows a byte of it.
pub fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let text = text.trim();
    // said before the crate, which calls a short last group bad padding
    if !text.len().is_multiple_of(4) {
        return Err(Base64Error::Length);
    }
    ENGINE.decode(text).map_err(|e| match e {
        DecodeError::InvalidLength(_) => Base64Error::Length,
        DecodeError::InvalidPadding => Base64Error::Padding,
        // a '=' inside the text is an invalid byte to the crate
        DecodeError::InvalidByte(_, b'=') => Base64Error::Padding,
        DecodeError::InvalidByte(..) | DecodeError::InvalidLastSymbol(..) => Base64Error::NotBase64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors_and_back() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), enc);
            assert_eq!(decode(enc).unwrap(), plain.as_bytes());
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)).unwrap(), all);
        // the messages om's own decoder gave, which never show a byte
        for (bad, said) in [
            ("Zg=", "its length is not a multiple of 4"),
            ("Z===", "misplaced '='"),
            ("Zg==Zg==", "misplaced '='"),
            ("Zm9*", "a character is not base64"),
            ("Z\u{e9}9", "a character is not base64"),
        ] {
            assert_eq!(decode(bad).unwrap_err().to_string(), said, "{bad}");
        }
        // trailing bits a hand edit set are taken, as before
        assert_eq!(decode("Zh==").unwrap(), b"f");
    }
}
