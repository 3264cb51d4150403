//! Content digests: the identity of every image and release.

use std::fmt;
use std::str::FromStr;

use sha2::Digest as _;

/// The hash algorithms relman accepts in a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DigestAlgorithm {
    /// `sha256:` followed by 64 lowercase hex digits.
    Sha256,
    /// `sha512:` followed by 128 lowercase hex digits.
    Sha512,
}

impl DigestAlgorithm {
    fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }
}

/// A content digest such as `sha256:<64 hex>`. Parsing is strict: the OCI spec's canonical form only,
/// lowercase hex of exactly the algorithm's length, so two spellings of one digest cannot exist.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: DigestAlgorithm,
    hex: String,
}

/// Why a string is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// No `algorithm:` prefix.
    #[error("a digest looks like 'sha256:<64 lowercase hex digits>'")]
    MissingAlgorithm,
    /// An algorithm other than sha256 or sha512.
    #[error("unsupported digest algorithm '{0}' (use sha256 or sha512)")]
    UnsupportedAlgorithm(String),
    /// The hex part has the wrong length.
    #[error("a {algorithm} digest has {expected} hex digits, found {found}")]
    WrongLength {
        /// The algorithm named in the digest.
        algorithm: &'static str,
        /// The length the algorithm requires.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// The hex part holds something other than `0-9a-f`.
    #[error("a digest's hex digits must be lowercase 0-9a-f")]
    NotLowercaseHex,
}

impl Digest {
    /// The sha256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Self {
        let hash = sha2::Sha256::digest(bytes);
        Self {
            algorithm: DigestAlgorithm::Sha256,
            hex: format!("{hash:x}"),
        }
    }

    /// The digest of `bytes` with this digest's algorithm; used to verify fetched content.
    pub fn verify(&self, bytes: &[u8]) -> bool {
        let hex = match self.algorithm {
            DigestAlgorithm::Sha256 => format!("{:x}", sha2::Sha256::digest(bytes)),
            DigestAlgorithm::Sha512 => format!("{:x}", sha2::Sha512::digest(bytes)),
        };
        hex == self.hex
    }

    /// The algorithm.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The lowercase hex part, without the algorithm prefix.
    pub fn hex(&self) -> &str {
        &self.hex
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (alg, hex) = s.split_once(':').ok_or(DigestError::MissingAlgorithm)?;
        let algorithm = match alg {
            "sha256" => DigestAlgorithm::Sha256,
            "sha512" => DigestAlgorithm::Sha512,
            other => return Err(DigestError::UnsupportedAlgorithm(other.to_owned())),
        };
        if hex.len() != algorithm.hex_len() {
            return Err(DigestError::WrongLength {
                algorithm: algorithm.name(),
                expected: algorithm.hex_len(),
                found: hex.len(),
            });
        }
        if !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(DigestError::NotLowercaseHex);
        }
        Ok(Self {
            algorithm,
            hex: hex.to_owned(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn parsing_table() {
        let upper = format!("sha256:{}", HEX64.to_uppercase());
        let short = format!("sha256:{}", &HEX64[..63]);
        let long = format!("sha256:{HEX64}0");
        let sha512_ok = format!("sha512:{HEX64}{HEX64}");
        let sha512_short = format!("sha512:{HEX64}");
        let non_hex = format!("sha256:{}g", &HEX64[..63]);
        let cases: Vec<(String, Result<(), DigestError>)> = vec![
            (format!("sha256:{HEX64}"), Ok(())),
            (sha512_ok, Ok(())),
            (upper, Err(DigestError::NotLowercaseHex)),
            (
                short,
                Err(DigestError::WrongLength {
                    algorithm: "sha256",
                    expected: 64,
                    found: 63,
                }),
            ),
            (
                long,
                Err(DigestError::WrongLength {
                    algorithm: "sha256",
                    expected: 64,
                    found: 65,
                }),
            ),
            (
                sha512_short,
                Err(DigestError::WrongLength {
                    algorithm: "sha512",
                    expected: 128,
                    found: 64,
                }),
            ),
            (non_hex, Err(DigestError::NotLowercaseHex)),
            (HEX64.to_owned(), Err(DigestError::MissingAlgorithm)),
            (String::new(), Err(DigestError::MissingAlgorithm)),
            (
                format!("md5:{HEX64}"),
                Err(DigestError::UnsupportedAlgorithm("md5".into())),
            ),
            (
                format!("SHA256:{HEX64}"),
                Err(DigestError::UnsupportedAlgorithm("SHA256".into())),
            ),
            (
                format!(" sha256:{HEX64}"),
                Err(DigestError::UnsupportedAlgorithm(" sha256".into())),
            ),
        ];
        for (input, expected) in cases {
            let got = input
                .parse::<Digest>()
                .map(|d| assert_eq!(d.to_string(), input));
            assert_eq!(got, expected, "input {input:?}");
        }
    }

    #[test]
    fn sha256_of_known_vector() {
        // sha256("") from FIPS 180-2 test vectors.
        let d = Digest::sha256_of(b"");
        assert_eq!(
            d.to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(d.verify(b""));
        assert!(!d.verify(b"x"));
    }
}
