//! Writing: images, keywords (floats with round-trip precision), history and comments,
//! header copies, checksums.

use super::{cstr, float_text, is_structural, Fits};
use crate::error::{IoError, Result};
use crate::io::image::Image;
use fitsio::sys;
use std::os::raw::{c_char, c_int, c_long};

impl Fits {
    /// Append an image HDU (primary if the file is empty) and write the pixels.
    /// `bitpix`: -64 (f64), -32 (f32), 32 (i32), 16 (i16).
    pub fn write_image(&mut self, img: &Image, bitpix: i32) -> Result<()> {
        /// Header cards reserved beyond the image's own (five 2880-byte blocks).
        const RESERVED_KEYS: c_int = 180;
        let mut naxes = [img.nx as c_long, img.ny as c_long];
        let mut status = 0;
        unsafe { sys::ffcrim(self.ptr, bitpix, 2, naxes.as_mut_ptr(), &mut status) };
        self.check("cannot create image", status)?;
        // room for the keywords written after the pixels (WCS, history): without it each
        // header block added moves the whole data unit along the file
        if !img.data.is_empty() {
            unsafe { sys::ffhdef(self.ptr, RESERVED_KEYS, &mut status) };
            self.check("cannot reserve header space", status)?;
        }
        let mut data = img.data.clone();
        unsafe {
            sys::ffpprd(
                self.ptr,
                0,
                1,
                data.len() as i64,
                data.as_mut_ptr(),
                &mut status,
            )
        };
        self.check("cannot write image pixels", status)
    }

    /// Write (or update) a float keyword with the shortest text that reads back to the
    /// same f64 (cfitsio's own formatting keeps only 15 digits).
    pub fn set_key_f64(&mut self, key: &str, v: f64, comment: &str) -> Result<()> {
        self.set_key_float_text(
            key,
            v.is_finite(),
            float_text(v, format!("{v}"), format!("{v:E}")),
            comment,
        )
    }

    /// Write (or update) a single-precision float keyword with the shortest text that
    /// reads back to the same f32 (as astropy writes a numpy float32).
    pub fn set_key_f32(&mut self, key: &str, v: f32, comment: &str) -> Result<()> {
        self.set_key_float_text(
            key,
            v.is_finite(),
            float_text(v as f64, format!("{v}"), format!("{v:E}")),
            comment,
        )
    }

    fn set_key_float_text(
        &mut self,
        key: &str,
        finite: bool,
        text: String,
        comment: &str,
    ) -> Result<()> {
        if !finite {
            return Err(IoError::NonFiniteKeyword {
                path: self.path.clone(),
                key: key.to_string(),
                value: text,
            }
            .into());
        }
        let (k, c) = (cstr(key), cstr(comment));
        let mut val = cstr(&text).into_bytes_with_nul();
        let mut card = [0 as c_char; 81];
        let mut status = 0;
        unsafe {
            sys::ffmkky(
                k.as_ptr(),
                val.as_mut_ptr() as *mut c_char,
                c.as_ptr(),
                card.as_mut_ptr(),
                &mut status,
            );
            sys::ffucrd(self.ptr, k.as_ptr(), card.as_ptr(), &mut status)
        };
        self.check(&format!("cannot write keyword {key}"), status)
    }

    /// Write (or update) an integer keyword.
    pub fn set_key_i64(&mut self, key: &str, v: i64, comment: &str) -> Result<()> {
        let (k, c) = (cstr(key), cstr(comment));
        let mut status = 0;
        unsafe { sys::ffukyj(self.ptr, k.as_ptr(), v, c.as_ptr(), &mut status) };
        self.check(&format!("cannot write keyword {key}"), status)
    }

    /// Write (or update) a string keyword.
    pub fn set_key_str(&mut self, key: &str, v: &str, comment: &str) -> Result<()> {
        let (k, val, c) = (cstr(key), cstr(v), cstr(comment));
        let mut status = 0;
        unsafe { sys::ffukys(self.ptr, k.as_ptr(), val.as_ptr(), c.as_ptr(), &mut status) };
        self.check(&format!("cannot write keyword {key}"), status)
    }

    /// Write (or update) a logical keyword.
    pub fn set_key_bool(&mut self, key: &str, v: bool, comment: &str) -> Result<()> {
        let (k, c) = (cstr(key), cstr(comment));
        let mut status = 0;
        unsafe { sys::ffukyl(self.ptr, k.as_ptr(), v as c_int, c.as_ptr(), &mut status) };
        self.check(&format!("cannot write keyword {key}"), status)
    }

    /// Append a HISTORY record.
    pub fn history(&mut self, text: &str) -> Result<()> {
        let t = cstr(text);
        let mut status = 0;
        unsafe { sys::ffphis(self.ptr, t.as_ptr(), &mut status) };
        self.check("cannot write HISTORY", status)
    }

    /// Append a COMMENT record.
    pub fn comment(&mut self, text: &str) -> Result<()> {
        let t = cstr(text);
        let mut status = 0;
        unsafe { sys::ffpcom(self.ptr, t.as_ptr(), &mut status) };
        self.check("cannot write COMMENT", status)
    }

    /// Write the DATE keyword (file creation time, UTC).
    pub fn write_date(&mut self) -> Result<()> {
        let mut status = 0;
        unsafe { sys::ffpdat(self.ptr, &mut status) };
        self.check("cannot write DATE", status)
    }

    /// Copy header records from another header, skipping the structural keywords that
    /// cfitsio writes itself (SIMPLE, BITPIX, NAXISn, EXTEND, XTENSION, PCOUNT, GCOUNT,
    /// TFIELDS, TTYPEn/TFORMn…, CHECKSUM, DATASUM) and any in `skip`.
    pub fn copy_cards(&mut self, cards: &[String], skip: &[&str]) -> Result<()> {
        for card in cards {
            let name = card.get(..8).unwrap_or(card).trim().to_ascii_uppercase();
            if is_structural(&name) || skip.iter().any(|s| s.eq_ignore_ascii_case(&name)) {
                continue;
            }
            let c = cstr(card);
            let mut status = 0;
            unsafe { sys::ffprec(self.ptr, c.as_ptr(), &mut status) };
            self.check(&format!("cannot copy header record {name}"), status)?;
        }
        Ok(())
    }

    /// Compute and write CHECKSUM/DATASUM for the current HDU.
    pub fn write_checksum(&mut self) -> Result<()> {
        let mut status = 0;
        unsafe { sys::ffpcks(self.ptr, &mut status) };
        self.check("cannot write checksum", status)
    }
}
