//! Header cards checked before cfitsio parses them. cfitsio 3.49 (the copy fitsio-sys
//! bundles) copies a card's value into a 71-byte buffer in `ffpsvc`; a card whose value
//! indicator '=' stands in the keyword field (columns 1–8), or in column 9 without the blank
//! of column 10, gives it a value longer than that buffer and it writes past the end. Such
//! a card is not valid FITS (keyword names are letters, digits, '-' and '_'; the value
//! indicator is "= " in columns 9–10), so a file holding one is refused here, by card.
//!
//! The HDUs are walked the way cfitsio walks them: header blocks of 2880 bytes up to END,
//! then the data, |BITPIX|/8 × GCOUNT × (PCOUNT + NAXIS1 × … × NAXISn) bytes rounded up to
//! whole blocks. A header this walk cannot follow (no END, a size it cannot read) ends the
//! check: cfitsio then refuses the file on its own, without reaching the card parser.

use crate::error::{IoError, Result};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// FITS block size in bytes.
const BLOCK: u64 = 2880;
/// Card size in bytes.
const CARD: usize = 80;
/// The most header blocks one HDU may have before the walk gives up (about 3.7 million
/// cards; cfitsio itself would refuse far earlier).
const MAX_HEADER_BLOCKS: u64 = 100_000;

/// Why a card would overrun cfitsio's value buffer, or None when it is safe.
fn card_problem(card: &[u8]) -> Option<&'static str> {
    let key = &card[..8.min(card.len())];
    for exempt in [
        &b"HIERARCH"[..],
        b"COMMENT ",
        b"HISTORY ",
        b"CONTINUE",
        b"        ",
    ] {
        if key == exempt {
            return None;
        }
    }
    if key.contains(&b'=') {
        return Some("'=' in the keyword field (columns 1-8)");
    }
    if card.len() > 9 && card[8] == b'=' && card[9] != b' ' {
        return Some("'=' in column 9 not followed by a blank in column 10");
    }
    None
}

/// TFIELDS and NAXIS beyond the standard's 999 (cfitsio allocates a column structure per
/// TFIELDS before reading any column: a header once asked it for 2^54 bytes).
fn count_problem(card: &[u8]) -> Option<String> {
    for key in ["TFIELDS", "NAXIS"] {
        if let Some(v) = int_value(card, key) {
            if !v.is_some_and(|n| (0..=999).contains(&n)) {
                let text = value_text(card);
                return Some(format!("{key} = {text}: must be an integer 0 to 999"));
            }
        }
    }
    None
}

/// The value field of a fixed-format card (columns 11 on, up to a '/'), trimmed.
fn value_text(card: &[u8]) -> String {
    let text = String::from_utf8_lossy(&card[10..]);
    text.split('/').next().unwrap_or("").trim().to_string()
}

/// The integer value of a fixed-format card `KEY = n`, if this card is that keyword.
fn int_value(card: &[u8], key: &str) -> Option<Option<i64>> {
    let name = std::str::from_utf8(&card[..8]).ok()?.trim_end();
    if name != key || &card[8..10] != b"= " {
        return None;
    }
    Some(value_text(card).parse().ok())
}

/// What one header says about the data that follows it.
#[derive(Default)]
struct Sizes {
    bitpix: Option<i64>,
    naxis: Vec<i64>,
    pcount: i64,
    gcount: i64,
}

impl Sizes {
    fn note(&mut self, card: &[u8]) {
        if let Some(v) = int_value(card, "BITPIX") {
            self.bitpix = v;
        } else if let Some(Some(v)) = int_value(card, "PCOUNT") {
            self.pcount = v;
        } else if let Some(Some(v)) = int_value(card, "GCOUNT") {
            self.gcount = v;
        } else if card.starts_with(b"NAXIS") && card[5] != b' ' {
            let name = String::from_utf8_lossy(&card[..8]).trim_end().to_string();
            if let Some(Some(v)) = int_value(card, &name) {
                self.naxis.push(v);
            }
        }
    }

    /// Bytes of data (whole blocks), or None when the header does not say.
    fn data_bytes(&self, random_groups: bool) -> Option<u64> {
        let bits = self.bitpix?.unsigned_abs();
        let axes = if random_groups && self.naxis.first() == Some(&0) {
            &self.naxis[1..]
        } else {
            &self.naxis[..]
        };
        let mut n: u64 = if axes.is_empty() { 0 } else { 1 };
        for &a in axes {
            n = n.checked_mul(u64::try_from(a).ok()?)?;
        }
        let n = n.checked_add(u64::try_from(self.pcount).ok()?)?;
        let n = n.checked_mul(u64::try_from(self.gcount.max(1)).ok()?)?;
        let bytes = n.checked_mul(bits / 8)?;
        bytes.checked_add(BLOCK - 1).map(|b| b / BLOCK * BLOCK)
    }
}

/// A file (or in-memory bytes) read block by block.
trait Blocks {
    /// The block at `offset`, or None past the end.
    fn block(&mut self, offset: u64) -> Option<[u8; BLOCK as usize]>;
}

impl Blocks for &[u8] {
    fn block(&mut self, offset: u64) -> Option<[u8; BLOCK as usize]> {
        let start = usize::try_from(offset).ok()?;
        let bytes = self.get(start..)?;
        if bytes.is_empty() {
            return None;
        }
        let mut out = [b' '; BLOCK as usize];
        let n = bytes.len().min(out.len());
        out[..n].copy_from_slice(&bytes[..n]);
        Some(out)
    }
}

impl Blocks for std::fs::File {
    fn block(&mut self, offset: u64) -> Option<[u8; BLOCK as usize]> {
        self.seek(SeekFrom::Start(offset)).ok()?;
        let mut out = [b' '; BLOCK as usize];
        let mut got = 0;
        while got < out.len() {
            match self.read(&mut out[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(_) => return None,
            }
        }
        (got > 0).then_some(out)
    }
}

/// Check every card of the header starting at `offset` (HDU `hdu`, 1-based); the offset of
/// the next HDU, or None when the walk ends here.
fn check_header(src: &mut dyn Blocks, path: &Path, hdu: usize, offset: u64) -> Result<Option<u64>> {
    let mut sizes = Sizes::default();
    let mut random_groups = false;
    let mut at = offset;
    for b in 0..MAX_HEADER_BLOCKS {
        let Some(block) = src.block(at) else {
            return Ok(None);
        };
        if b == 0 && !block.starts_with(b"SIMPLE  =") && !block.starts_with(b"XTENSION=") {
            return Ok(None);
        }
        at += BLOCK;
        for (i, card) in block.chunks(CARD).enumerate() {
            let number = (b as usize) * 36 + i + 1;
            if let Some(problem) = card_problem(card) {
                return Err(IoError::BadHeaderCard {
                    path: path.to_path_buf(),
                    hdu,
                    card: number,
                    problem: problem.to_string(),
                }
                .into());
            }
            if let Some(problem) = count_problem(card) {
                return Err(IoError::BadHeaderCard {
                    path: path.to_path_buf(),
                    hdu,
                    card: number,
                    problem,
                }
                .into());
            }
            if card.starts_with(b"GROUPS  =") {
                random_groups = card[10..].trim_ascii_start().starts_with(b"T");
            }
            sizes.note(card);
            if card.starts_with(b"END     ") {
                return Ok(sizes
                    .data_bytes(random_groups)
                    .and_then(|d| at.checked_add(d)));
            }
        }
    }
    Ok(None)
}

/// Walk the HDUs of `src` and refuse a header card cfitsio's parser would overrun on.
fn check_all(mut src: impl Blocks, path: &Path) -> Result<()> {
    let mut offset = Some(0);
    let mut hdu = 1;
    while let Some(at) = offset {
        offset = check_header(&mut src, path, hdu, at)?;
        hdu += 1;
    }
    Ok(())
}

/// Refuse the FITS file at `path` when a header card would overrun cfitsio's parser.
pub(super) fn check_file(path: &Path) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|source| IoError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    check_all(file, path)
}

/// Refuse the FITS file held in `bytes` (read from `path`), as `check_file` does.
pub(super) fn check_bytes(bytes: &[u8], path: &Path) -> Result<()> {
    check_all(bytes, path)
}

#[cfg(test)]
mod tests {
    use super::card_problem;

    fn card(s: &str) -> Vec<u8> {
        format!("{s:<80}").into_bytes()
    }

    #[test]
    fn valid_cards_pass_and_bad_value_indicators_are_caught() {
        assert!(card_problem(&card("NAXIS   =                    2")).is_none());
        assert!(card_problem(&card("HISTORY a=b")).is_none());
        assert!(card_problem(&card("HIERARCH ESO X = 1")).is_none());
        assert!(card_problem(&card("END")).is_none());
        assert!(card_problem(&card("A=1")).is_some());
        assert!(card_problem(&card("KEYWORD =1")).is_some());
    }
}
