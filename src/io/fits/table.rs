//! Binary-table columns: look-up by name, bulk reads (numbers, strings, bits, variable-
//! length cells) and writes. Rows and columns are 1-based at the cfitsio boundary, 0-based
//! in the returned vectors.

use super::{cstr, Fits, BINARY_TBL, COL_NOT_FOUND};
use crate::error::{IoError, Result};
use fitsio::sys;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_long};

/// cfitsio's type codes of a bit (TFORM X) and a character (A) column.
const TBIT: c_int = 1;
const TSTRING: c_int = 16;

/// A number type cfitsio converts a column to and from: its datatype code (fitsio.h) and
/// the value an undefined element reads as.
pub(super) trait Scalar: Copy {
    const DATATYPE: c_int;
    const NULL: Self;
}

impl Scalar for f64 {
    /// TDOUBLE
    const DATATYPE: c_int = 82;
    const NULL: f64 = f64::NAN;
}

impl Scalar for i64 {
    /// TLONGLONG
    const DATATYPE: c_int = 81;
    const NULL: i64 = 0;
}

impl Fits {
    /// Number of rows of the current table.
    pub fn nrows(&mut self) -> Result<usize> {
        let mut n = 0;
        let mut status = 0;
        unsafe { sys::ffgnrwll(self.ptr, &mut n, &mut status) };
        self.check("cannot count rows", status)?;
        let width = self.row_width()?;
        self.check_fits_in_file(
            &format!("a table of {n} rows of {width} bytes"),
            (n.max(0) as u64).checked_mul(width),
        )?;
        Ok(n as usize)
    }

    /// Bytes of one row of the current table (NAXIS1).
    fn row_width(&mut self) -> Result<u64> {
        Ok(self.opt_key_i64("NAXIS1")?.unwrap_or(0).max(0) as u64)
    }

    /// Refuse a column (cfitsio `typecode`) whose elements (`repeat` of `width` bytes;
    /// characters for TFORM A, bits for X) are wider than a row: its reads are sized by them.
    fn check_col_in_row(
        &mut self,
        col: usize,
        typecode: c_int,
        repeat: c_long,
        width: c_long,
    ) -> Result<()> {
        let row = self.row_width()?;
        let repeat = repeat.max(0) as u64;
        let bytes = match typecode {
            TBIT => Some(repeat.div_ceil(8)),
            TSTRING => Some(repeat),
            _ => repeat.checked_mul(width.max(0) as u64),
        };
        if self.size.is_none() || bytes.is_some_and(|b| b <= row) {
            return Ok(());
        }
        let here = self.here();
        Err(IoError::BeyondFile {
            path: self.path.clone(),
            here,
            what: format!(
                "column {col} of {repeat} elements of {width} bytes in a row of {row} bytes"
            ),
            size: self.size.unwrap_or(0),
        }
        .into())
    }

    /// 1-based number of the column `name` (case-insensitive), None when absent.
    pub fn opt_col(&mut self, name: &str) -> Result<Option<usize>> {
        let mut cname = cstr(name).into_bytes_with_nul();
        let mut col = 0;
        let mut status = 0;
        unsafe {
            sys::ffgcno(
                self.ptr,
                0,
                cname.as_mut_ptr() as *mut c_char,
                &mut col,
                &mut status,
            )
        };
        if status == COL_NOT_FOUND {
            unsafe { sys::ffcmsg() };
            return Ok(None);
        }
        self.check(&format!("cannot look up column {name}"), status)?;
        Ok(Some(col as usize))
    }

    /// 1-based number of the column `name`; absent is an error naming file and HDU.
    pub fn col(&mut self, name: &str) -> Result<usize> {
        match self.opt_col(name)? {
            Some(c) => Ok(c),
            None => {
                let here = self.here();
                Err(IoError::MissingColumn {
                    path: self.path.clone(),
                    name: name.to_string(),
                    here,
                }
                .into())
            }
        }
    }

    /// Repeat count (elements per row) of a column.
    pub fn col_repeat(&mut self, col: usize) -> Result<usize> {
        let (_, repeat, _) = self.col_type(col)?;
        Ok(repeat.max(0) as usize)
    }

    /// A column's cfitsio type code (negative for a variable-length column), repeat count
    /// and width (bytes of one element; of one string for `rAw`).
    fn col_type(&mut self, col: usize) -> Result<(c_int, c_long, c_long)> {
        let (typecode, repeat, width) = self.col_type_raw(col)?;
        // a variable-length column's row holds a descriptor; its cells are checked when read
        if typecode > 0 {
            self.check_col_in_row(col, typecode, repeat, width)?;
        }
        Ok((typecode, repeat, width))
    }

    fn col_type_raw(&mut self, col: usize) -> Result<(c_int, c_long, c_long)> {
        let (mut typecode, mut repeat, mut width): (c_int, c_long, c_long) = (0, 0, 0);
        let mut status = 0;
        unsafe {
            sys::ffgtcl(
                self.ptr,
                col as c_int,
                &mut typecode,
                &mut repeat,
                &mut width,
                &mut status,
            )
        };
        self.check("cannot read column type", status)?;
        Ok((typecode, repeat, width))
    }

    /// Every element of a numeric column as f64 (rows × repeat, row-major; undefined
    /// elements are NaN).
    pub fn read_col_f64(&mut self, name: &str) -> Result<Vec<f64>> {
        self.read_col(name)
    }

    /// Every element of an integer column as i64 (rows × repeat; undefined elements 0).
    pub fn read_col_i64(&mut self, name: &str) -> Result<Vec<i64>> {
        self.read_col(name)
    }

    /// A numeric column of one value per row (a vector column is an error naming it): the
    /// columns of a table read this way have one length, that of the table.
    pub fn read_scalar_col_f64(&mut self, name: &str) -> Result<Vec<f64>> {
        self.expect_repeat(name, 1)?;
        self.read_col(name)
    }

    /// An integer column of one value per row (see [`Fits::read_scalar_col_f64`]).
    pub fn read_scalar_col_i64(&mut self, name: &str) -> Result<Vec<i64>> {
        self.expect_repeat(name, 1)?;
        self.read_col(name)
    }

    /// Refuse column `name` unless its rows hold `expected` values each.
    pub fn expect_repeat(&mut self, name: &str, expected: usize) -> Result<()> {
        let col = self.col(name)?;
        let repeat = self.col_repeat(col)?;
        if repeat == expected {
            return Ok(());
        }
        let here = self.here();
        Err(IoError::ColumnShape {
            path: self.path.clone(),
            here,
            name: name.to_string(),
            repeat,
            expected,
        }
        .into())
    }

    /// Every element of column `name` (rows × repeat, row-major), converted by cfitsio.
    fn read_col<T: Scalar>(&mut self, name: &str) -> Result<Vec<T>> {
        let col = self.col(name)?;
        let n = self.nrows()? * self.col_repeat(col)?;
        let mut out = vec![T::NULL; n];
        if n == 0 {
            return Ok(out);
        }
        let mut null = T::NULL;
        let mut anynul = 0;
        let mut status = 0;
        unsafe {
            sys::ffgcv(
                self.ptr,
                T::DATATYPE,
                col as c_int,
                1,
                1,
                n as i64,
                (&mut null as *mut T).cast(),
                out.as_mut_ptr().cast(),
                &mut anynul,
                &mut status,
            )
        };
        self.check(&format!("cannot read column {name}"), status)?;
        Ok(out)
    }

    /// A string column, one trimmed string per row.
    pub fn read_col_str(&mut self, name: &str) -> Result<Vec<String>> {
        let col = self.col(name)?;
        let n = self.nrows()?;
        let width = self.col_repeat(col)?.max(1) + 1;
        self.read_strings(col, name, n, width)
    }

    /// `count` strings of at most `width` characters from column `col`, from row 1 on (a
    /// row of a `rAw` column holds r/w of them), each trimmed.
    fn read_strings(
        &mut self,
        col: usize,
        name: &str,
        count: usize,
        width: usize,
    ) -> Result<Vec<String>> {
        let mut bufs: Vec<Vec<c_char>> = (0..count).map(|_| vec![0 as c_char; width + 1]).collect();
        let mut ptrs: Vec<*mut c_char> = bufs.iter_mut().map(|b| b.as_mut_ptr()).collect();
        if count > 0 {
            let mut nul = [0 as c_char; 1];
            let mut anynul = 0;
            let mut status = 0;
            unsafe {
                sys::ffgcvs(
                    self.ptr,
                    col as c_int,
                    1,
                    1,
                    count as i64,
                    nul.as_mut_ptr(),
                    ptrs.as_mut_ptr(),
                    &mut anynul,
                    &mut status,
                )
            };
            self.check(&format!("cannot read column {name}"), status)?;
        }
        Ok(bufs
            .iter()
            .map(|b| {
                unsafe { CStr::from_ptr(b.as_ptr()) }
                    .to_string_lossy()
                    .trim()
                    .to_string()
            })
            .collect())
    }

    /// A string column that may hold several strings per row (TFORM `rAw`, r/w strings of
    /// w characters, as CALDB's CAL_CBD): per row, its non-empty strings joined by one space.
    /// A plain `rA` column reads as [`Fits::read_col_str`] does.
    pub fn read_col_str_joined(&mut self, name: &str) -> Result<Vec<String>> {
        let col = self.col(name)?;
        let n = self.nrows()?;
        let (_, repeat, width) = self.col_type(col)?;
        if width <= 0 || width >= repeat {
            return self.read_col_str(name);
        }
        let per_row = (repeat / width) as usize;
        let strs = self.read_strings(col, name, n * per_row, width as usize + 1)?;
        Ok(strs
            .chunks(per_row.max(1))
            .map(|c| {
                c.iter()
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect())
    }

    /// A bit column (TFORM nX) as one integer per row, first bit most significant: bit `k`
    /// (0-based from the first bit of the field) is `(v >> (nbits-1-k)) & 1`.
    pub fn read_col_bits(&mut self, name: &str) -> Result<(Vec<u64>, usize)> {
        let col = self.col(name)?;
        let nbits = self.col_repeat(col)?.min(64);
        let n = self.nrows()?;
        let mut out = vec![0u64; n];
        let mut bits = vec![0 as c_char; nbits];
        for (row, v) in out.iter_mut().enumerate() {
            let mut status = 0;
            unsafe {
                sys::ffgcx(
                    self.ptr,
                    col as c_int,
                    row as i64 + 1,
                    1,
                    nbits as i64,
                    bits.as_mut_ptr(),
                    &mut status,
                )
            };
            self.check(&format!("cannot read bit column {name}"), status)?;
            *v = bits
                .iter()
                .fold(0u64, |acc, &b| (acc << 1) | (b != 0) as u64);
        }
        Ok((out, nbits))
    }

    /// One row of a variable-length (or fixed) numeric column as f64.
    pub fn read_cell_f64(&mut self, col: usize, row: usize) -> Result<Vec<f64>> {
        let mut len: c_long = 0;
        let mut addr: c_long = 0;
        let mut status = 0;
        let (typecode, repeat, _) = self.col_type(col)?;
        if typecode < 0 {
            unsafe {
                sys::ffgdes(
                    self.ptr,
                    col as c_int,
                    row as i64 + 1,
                    &mut len,
                    &mut addr,
                    &mut status,
                )
            };
            self.check("cannot read variable-length descriptor", status)?;
            self.check_fits_in_file(
                &format!(
                    "a variable-length cell of {len} elements in row {}",
                    row + 1
                ),
                Some(len.max(0) as u64),
            )?;
        } else {
            len = repeat;
        }
        let mut out = vec![0.0; len.max(0) as usize];
        if !out.is_empty() {
            let mut anynul = 0;
            unsafe {
                sys::ffgcvd(
                    self.ptr,
                    col as c_int,
                    row as i64 + 1,
                    1,
                    len as i64,
                    f64::NAN,
                    out.as_mut_ptr(),
                    &mut anynul,
                    &mut status,
                )
            };
            self.check("cannot read table cell", status)?;
        }
        Ok(out)
    }

    /// Append a binary table with columns (name, TFORM, unit) and `nrows` rows.
    pub fn create_table(
        &mut self,
        extname: &str,
        cols: &[(&str, &str, &str)],
        nrows: usize,
    ) -> Result<()> {
        let names: Vec<CString> = cols.iter().map(|c| cstr(c.0)).collect();
        let forms: Vec<CString> = cols.iter().map(|c| cstr(c.1)).collect();
        let units: Vec<CString> = cols.iter().map(|c| cstr(c.2)).collect();
        let mut pn: Vec<*mut c_char> = names.iter().map(|c| c.as_ptr() as *mut c_char).collect();
        let mut pf: Vec<*mut c_char> = forms.iter().map(|c| c.as_ptr() as *mut c_char).collect();
        let mut pu: Vec<*mut c_char> = units.iter().map(|c| c.as_ptr() as *mut c_char).collect();
        let ext = cstr(extname);
        let mut status = 0;
        unsafe {
            sys::ffcrtb(
                self.ptr,
                BINARY_TBL,
                nrows as i64,
                cols.len() as c_int,
                pn.as_mut_ptr(),
                pf.as_mut_ptr(),
                pu.as_mut_ptr(),
                ext.as_ptr(),
                &mut status,
            )
        };
        self.check(&format!("cannot create table {extname}"), status)
    }

    /// Write f64 values into a column (1-based column number) from row 1.
    pub fn write_col_f64(&mut self, col: usize, data: &[f64]) -> Result<()> {
        self.write_cells(col, 1, data, "cannot write column")
    }

    /// Write integer values into a column (converted to the column's type by cfitsio).
    pub fn write_col_i64(&mut self, col: usize, data: &[i64]) -> Result<()> {
        self.write_cells(col, 1, data, "cannot write column")
    }

    /// Write `data` into column `col` (1-based) from the first element of row `row`
    /// (1-based), on into the next rows; `what` words a failure.
    fn write_cells<T: Scalar>(
        &mut self,
        col: usize,
        row: usize,
        data: &[T],
        what: &str,
    ) -> Result<()> {
        let mut d = data.to_vec();
        let mut status = 0;
        unsafe {
            sys::ffpcl(
                self.ptr,
                T::DATATYPE,
                col as c_int,
                row as i64,
                1,
                d.len() as i64,
                d.as_mut_ptr().cast(),
                &mut status,
            )
        };
        self.check(what, status)
    }

    /// Write strings into a character column.
    pub fn write_col_str(&mut self, col: usize, data: &[String]) -> Result<()> {
        let cs: Vec<CString> = data.iter().map(|s| cstr(s)).collect();
        let mut ps: Vec<*mut c_char> = cs.iter().map(|c| c.as_ptr() as *mut c_char).collect();
        let mut status = 0;
        unsafe {
            sys::ffpcls(
                self.ptr,
                col as c_int,
                1,
                1,
                ps.len() as i64,
                ps.as_mut_ptr(),
                &mut status,
            )
        };
        self.check("cannot write column", status)
    }

    /// Write a bit column (TFORM nX, 1-based column number) from row 1, one integer per
    /// row holding `nbits` bits (≤ 64), first bit most significant: the inverse of
    /// [`Fits::read_col_bits`].
    pub fn write_col_bits(&mut self, col: usize, values: &[u64], nbits: usize) -> Result<()> {
        let nbits = nbits.min(64);
        let mut bits = vec![0 as c_char; nbits];
        for (row, v) in values.iter().enumerate() {
            for (k, b) in bits.iter_mut().enumerate() {
                *b = ((v >> (nbits - 1 - k)) & 1) as c_char;
            }
            let mut status = 0;
            unsafe {
                sys::ffpclx(
                    self.ptr,
                    col as c_int,
                    row as i64 + 1,
                    1,
                    nbits as c_long,
                    bits.as_mut_ptr(),
                    &mut status,
                )
            };
            self.check("cannot write bit column", status)?;
        }
        Ok(())
    }

    /// Write f64 values into one cell (1-based column, 0-based row) from its first element;
    /// for a variable-length column this sets the row's length.
    pub fn write_cell_f64(&mut self, col: usize, row: usize, data: &[f64]) -> Result<()> {
        self.write_cells(col, row + 1, data, "cannot write table cell")
    }
}
