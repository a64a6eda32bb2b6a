//! A small safe layer over cfitsio (through `fitsio::sys`): open/create files, move between
//! HDUs, read and write keywords, table columns and images. Every error names the file.
//!
//! HDU numbers are 1-based (the primary array is HDU 1), table rows and columns are 1-based
//! at the cfitsio boundary and 0-based in the vectors returned here.

use crate::error::{Error, IoError, Result};
use crate::io::image::Image;
use fitsio::sys;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};
use std::path::{Path, PathBuf};
use std::ptr;

mod cards;
mod table;
mod write;

const KEY_NO_EXIST: c_int = 202;
pub(crate) const COL_NOT_FOUND: c_int = 219;
const BAD_HDU_NUM: c_int = 301;
const END_OF_FILE: c_int = 107;
const READONLY: c_int = 0;
const READWRITE: c_int = 1;
const ANY_HDU: c_int = -1;
pub(crate) const BINARY_TBL: c_int = 2;

/// Kind of the current HDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HduKind {
    Image,
    AsciiTable,
    BinTable,
}

/// An open FITS file (read-only or read-write), positioned at one HDU.
pub struct Fits {
    ptr: *mut sys::fitsfile,
    path: PathBuf,
    /// Decompressed bytes of a gzip file opened in memory, and the pointer/size pair
    /// cfitsio's memory driver keeps the address of (both must outlive `ptr`).
    _mem: Option<(Vec<u8>, Box<MemHandle>)>,
    /// Bytes of a file opened read-only (decompressed, for gzip): what a header may ask to
    /// read is bounded by it. None for a file being written.
    size: Option<u64>,
}

/// The most a deflate stream expands (1032:1 is deflate's limit), with a margin.
const MAX_GZIP_RATIO: usize = 1100;

/// The address and size of an in-memory file, as cfitsio's memory driver keeps them.
type MemHandle = (*mut std::ffi::c_void, usize);

pub(crate) fn cstr(s: &str) -> CString {
    CString::new(s.replace('\0', "")).expect("NUL removed")
}

fn status_text(status: c_int) -> String {
    let mut text = short_status(status);
    // cfitsio keeps a stack of detailed messages; the first one usually says most.
    let mut msg = [0 as c_char; 81];
    if unsafe { sys::ffgmsg(msg.as_mut_ptr()) } != 0 {
        let detail = user_terms(&unsafe { CStr::from_ptr(msg.as_ptr()) }.to_string_lossy());
        if !detail.is_empty() {
            text = format!("{text} ({detail})");
        }
    }
    while unsafe { sys::ffgmsg(msg.as_mut_ptr()) } != 0 {}
    text
}

/// cfitsio's one-line text of a status code.
fn short_status(status: c_int) -> String {
    let mut buf = [0 as c_char; 81];
    unsafe { sys::ffgerr(status, buf.as_mut_ptr()) };
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// Why a file could not be opened, in the user's terms (the cfitsio message stack cleared).
fn open_failure(status: c_int) -> String {
    let mut msg = [0 as c_char; 81];
    while unsafe { sys::ffgmsg(msg.as_mut_ptr()) } != 0 {}
    const FILE_NOT_OPENED: c_int = 104;
    if status == FILE_NOT_OPENED {
        return "cannot open the file (is it readable, and not open elsewhere for reading while being updated?)".into();
    }
    format!(
        "not a FITS file, or truncated: no readable primary header ({})",
        short_status(status)
    )
}

/// A cfitsio detail message without its jargon: routine names such as "(ffgcld)" and
/// trailing "of file:" fragments are removed.
fn user_terms(detail: &str) -> String {
    let mut out = String::new();
    let mut rest = detail.trim();
    while let Some(i) = rest.find("(ff") {
        out.push_str(&rest[..i]);
        match rest[i..].find(')') {
            Some(j) => rest = &rest[i + j + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let mut text = out.split_whitespace().collect::<Vec<_>>().join(" ");
    for tail in [" of file:", " from file:", " file:", ":", "."] {
        if let Some(t) = text.strip_suffix(tail) {
            text = t.to_string();
        }
    }
    text
}

impl Fits {
    pub(crate) fn err(&self, what: &str, status: c_int) -> Error {
        IoError::Cfitsio {
            path: self.path.clone(),
            what: what.to_string(),
            status: status_text(status),
        }
        .into()
    }

    pub(crate) fn check(&self, what: &str, status: c_int) -> Result<()> {
        if status == 0 {
            Ok(())
        } else {
            Err(self.err(what, status))
        }
    }

    fn open_mode(path: &Path, mode: c_int) -> Result<Fits> {
        if !path.exists() {
            return Err(IoError::NoSuchFile {
                path: path.to_path_buf(),
            }
            .into());
        }
        if mode == READONLY {
            if let Some(bytes) = gunzip_if_compressed(path)? {
                cards::check_bytes(&bytes, path)?;
                return Self::open_memory(path, bytes);
            }
        }
        cards::check_file(path)?;
        let size = if mode == READONLY {
            std::fs::metadata(path).ok().map(|m| m.len())
        } else {
            None
        };
        let cpath = cstr(&path.to_string_lossy());
        let mut ptr = ptr::null_mut();
        let mut status = 0;
        unsafe { sys::ffopen(&mut ptr, cpath.as_ptr(), mode, &mut status) };
        if status != 0 {
            return Err(IoError::NotFits {
                path: path.to_path_buf(),
                status: open_failure(status),
            }
            .into());
        }
        Ok(Fits {
            ptr,
            path: path.to_path_buf(),
            _mem: None,
            size,
        })
    }

    /// Open decompressed bytes read-only through cfitsio's memory driver. (cfitsio can read
    /// gzip files itself, but its bundled zlib inflates at about half the speed of
    /// zlib-rs, which dominates reading the large det1/event files.)
    fn open_memory(path: &Path, mut bytes: Vec<u8>) -> Result<Fits> {
        let size = Some(bytes.len() as u64);
        let mut cell = Box::new((bytes.as_mut_ptr() as *mut std::ffi::c_void, bytes.len()));
        let name = cstr("mem://");
        let mut ptr = ptr::null_mut();
        let mut status = 0;
        unsafe {
            sys::ffomem(
                &mut ptr,
                name.as_ptr(),
                READONLY,
                &mut cell.0,
                &mut cell.1,
                0,
                None,
                &mut status,
            )
        };
        if status != 0 {
            return Err(IoError::NotFits {
                path: path.to_path_buf(),
                status: open_failure(status),
            }
            .into());
        }
        Ok(Fits {
            ptr,
            path: path.to_path_buf(),
            _mem: Some((bytes, cell)),
            size,
        })
    }

    /// Open an existing file read-only (gzip-compressed files are read transparently).
    pub fn open(path: impl AsRef<Path>) -> Result<Fits> {
        Self::open_mode(path.as_ref(), READONLY)
    }

    /// Open an existing, uncompressed file for update in place.
    pub fn open_rw(path: impl AsRef<Path>) -> Result<Fits> {
        Self::open_mode(path.as_ref(), READWRITE)
    }

    /// Create a new, empty file (the path must not exist; callers write to temporary names).
    pub fn create(path: impl AsRef<Path>) -> Result<Fits> {
        let path = path.as_ref();
        let cpath = cstr(&path.to_string_lossy());
        let mut ptr = ptr::null_mut();
        let mut status = 0;
        unsafe { sys::ffinit(&mut ptr, cpath.as_ptr(), &mut status) };
        if status != 0 {
            return Err(IoError::CannotCreate {
                path: path.to_path_buf(),
                status: status_text(status),
            }
            .into());
        }
        Ok(Fits {
            ptr,
            path: path.to_path_buf(),
            _mem: None,
            size: None,
        })
    }

    /// The file name this handle was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flush and close, reporting any error cfitsio sees while writing.
    pub fn close(mut self) -> Result<()> {
        let mut status = 0;
        unsafe { sys::ffclos(self.ptr, &mut status) };
        self.ptr = ptr::null_mut();
        self.check("error while closing", status)
    }

    /// Number of HDUs in the file.
    pub fn num_hdus(&mut self) -> Result<usize> {
        let mut n = 0;
        let mut status = 0;
        unsafe { sys::ffthdu(self.ptr, &mut n, &mut status) };
        self.check("cannot count HDUs", status)?;
        Ok(n as usize)
    }

    /// Move to HDU `n` (1-based; 1 is the primary array).
    pub fn goto_hdu(&mut self, n: usize) -> Result<HduKind> {
        let mut kind = 0;
        let mut status = 0;
        unsafe { sys::ffmahd(self.ptr, n as c_int, &mut kind, &mut status) };
        if status == BAD_HDU_NUM || status == END_OF_FILE {
            return Err(IoError::NoHdu {
                path: self.path.clone(),
                n,
            }
            .into());
        }
        self.check(&format!("cannot move to HDU {n}"), status)?;
        Ok(match kind {
            0 => HduKind::Image,
            1 => HduKind::AsciiTable,
            _ => HduKind::BinTable,
        })
    }

    /// Current HDU number (1-based).
    pub fn current_hdu(&self) -> usize {
        let mut n = 0;
        unsafe { sys::ffghdn(self.ptr, &mut n) };
        n as usize
    }

    /// Move to the HDU whose EXTNAME (or HDUNAME) is `name`, case-insensitively.
    pub fn goto_named(&mut self, name: &str) -> Result<()> {
        if self.try_goto_named(name)? {
            Ok(())
        } else {
            Err(IoError::NoExtension {
                path: self.path.clone(),
                name: name.to_string(),
            }
            .into())
        }
    }

    /// Like `goto_named` but returns false when there is no such HDU.
    pub fn try_goto_named(&mut self, name: &str) -> Result<bool> {
        let mut cname = cstr(name).into_bytes_with_nul();
        let mut status = 0;
        unsafe {
            sys::ffmnhd(
                self.ptr,
                ANY_HDU,
                cname.as_mut_ptr() as *mut c_char,
                0,
                &mut status,
            )
        };
        if status == BAD_HDU_NUM {
            unsafe { sys::ffcmsg() };
            return Ok(false);
        }
        self.check(&format!("cannot look for extension {name}"), status)?;
        Ok(true)
    }

    /// Name of the current HDU (EXTNAME, or "" when absent).
    pub fn extname(&mut self) -> Result<String> {
        Ok(self.opt_key_str("EXTNAME")?.unwrap_or_default())
    }

    /// Describe where we are, for error messages: "file[EXTNAME]".
    pub fn here(&mut self) -> String {
        let name = self.extname().unwrap_or_default();
        if name.is_empty() {
            format!("HDU {}", self.current_hdu())
        } else {
            name
        }
    }

    fn missing_key(&mut self, key: &str) -> Error {
        let here = self.here();
        IoError::MissingKeyword {
            path: self.path.clone(),
            key: key.to_string(),
            here,
        }
        .into()
    }

    /// A keyword converted to `T` by cfitsio, or None when absent; `what` words the type
    /// for the error when it does not convert ("a number").
    fn opt_key<T: table::Scalar>(&mut self, key: &str, what: &str) -> Result<Option<T>> {
        let ckey = cstr(key);
        let mut v = T::NULL;
        let mut status = 0;
        unsafe {
            sys::ffgky(
                self.ptr,
                T::DATATYPE,
                ckey.as_ptr(),
                (&mut v as *mut T).cast(),
                ptr::null_mut(),
                &mut status,
            )
        };
        if status == KEY_NO_EXIST {
            unsafe { sys::ffcmsg() };
            return Ok(None);
        }
        if status != 0 {
            let here = self.here();
            return Err(self.err(&format!("keyword {key} in {here} is not {what}"), status));
        }
        Ok(Some(v))
    }

    /// A keyword as a float, or None when absent.
    pub fn opt_key_f64(&mut self, key: &str) -> Result<Option<f64>> {
        self.opt_key(key, "a number")
    }

    /// A keyword converted to `T`; absent is an error naming the file and HDU.
    fn key<T: table::Scalar>(&mut self, key: &str, what: &str) -> Result<T> {
        match self.opt_key(key, what)? {
            Some(v) => Ok(v),
            None => Err(self.missing_key(key)),
        }
    }

    /// A keyword as a float; absent is an error naming the file and HDU.
    pub fn key_f64(&mut self, key: &str) -> Result<f64> {
        self.key(key, "a number")
    }

    /// A keyword as an integer, or None when absent.
    pub fn opt_key_i64(&mut self, key: &str) -> Result<Option<i64>> {
        self.opt_key(key, "an integer")
    }

    /// A keyword as an integer; absent is an error.
    pub fn key_i64(&mut self, key: &str) -> Result<i64> {
        self.key(key, "an integer")
    }

    /// A keyword as a string (long-string convention honoured), trimmed; None when absent.
    pub fn opt_key_str(&mut self, key: &str) -> Result<Option<String>> {
        let ckey = cstr(key);
        let mut out: *mut c_char = ptr::null_mut();
        let mut status = 0;
        unsafe {
            sys::ffgkls(
                self.ptr,
                ckey.as_ptr(),
                &mut out,
                ptr::null_mut(),
                &mut status,
            )
        };
        if status == KEY_NO_EXIST {
            unsafe { sys::ffcmsg() };
            return Ok(None);
        }
        if status != 0 {
            return Err(self.err(&format!("cannot read keyword {key}"), status));
        }
        let s = unsafe { CStr::from_ptr(out) }
            .to_string_lossy()
            .trim()
            .to_string();
        unsafe { sys::fffree(out as *mut std::ffi::c_void, &mut status) };
        Ok(Some(s))
    }

    /// A keyword as a string; absent is an error.
    pub fn key_str(&mut self, key: &str) -> Result<String> {
        match self.opt_key_str(key)? {
            Some(v) => Ok(v),
            None => Err(self.missing_key(key)),
        }
    }

    /// Every 80-character header record of the current HDU, in order (END excluded).
    pub fn cards(&mut self) -> Result<Vec<String>> {
        let mut nexist = 0;
        let mut nmore = 0;
        let mut status = 0;
        unsafe { sys::ffghsp(self.ptr, &mut nexist, &mut nmore, &mut status) };
        self.check("cannot read header", status)?;
        let mut out = Vec::with_capacity(nexist as usize);
        let mut buf = [0 as c_char; 81];
        for i in 1..=nexist {
            unsafe { sys::ffgrec(self.ptr, i, buf.as_mut_ptr(), &mut status) };
            self.check("cannot read header record", status)?;
            out.push(
                unsafe { CStr::from_ptr(buf.as_ptr()) }
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        Ok(out)
    }

    /// The size (NAXIS1, NAXIS2) of the current HDU's 2-D image, checked against the file:
    /// an image larger than its file could hold is an error, so the size can be allocated.
    pub fn image_size(&mut self) -> Result<(usize, usize)> {
        let mut bitpix = 0;
        let mut naxis = 0;
        let mut naxes = [0i64; 3];
        let mut status = 0;
        unsafe {
            sys::ffgiprll(
                self.ptr,
                3,
                &mut bitpix,
                &mut naxis,
                naxes.as_mut_ptr(),
                &mut status,
            )
        };
        self.check("cannot read image size", status)?;
        if naxis != 2 {
            let here = self.here();
            return Err(IoError::Not2dImage {
                path: self.path.clone(),
                here,
                naxis: naxis as i64,
            }
            .into());
        }
        let bytes = (naxes[0].max(0) as u64)
            .checked_mul(naxes[1].max(0) as u64)
            .and_then(|n| n.checked_mul(u64::from(bitpix.unsigned_abs()) / 8));
        self.check_fits_in_file(
            &format!(
                "an image of {} x {} pixels of BITPIX {bitpix}",
                naxes[0], naxes[1]
            ),
            bytes,
        )?;
        Ok((naxes[0].max(0) as usize, naxes[1].max(0) as usize))
    }

    /// Read the current HDU as a 2-D image (NAXIS1 = x fast axis, NAXIS2 = y).
    pub fn read_image(&mut self) -> Result<Image> {
        let (nx, ny) = self.image_size()?;
        let mut status = 0;
        let mut data = vec![0.0f64; nx * ny];
        if !data.is_empty() {
            let mut anynul = 0;
            unsafe {
                sys::ffgpvd(
                    self.ptr,
                    0,
                    1,
                    (nx * ny) as i64,
                    0.0,
                    data.as_mut_ptr(),
                    &mut anynul,
                    &mut status,
                )
            };
            self.check("cannot read image pixels", status)?;
        }
        Ok(Image { nx, ny, data })
    }

    /// Refuse to read `bytes` (None: more than u64 holds) of the current HDU (`what` they
    /// are) when the file read is smaller: a header cannot ask for more memory than its
    /// file could fill.
    pub(crate) fn check_fits_in_file(&mut self, what: &str, bytes: Option<u64>) -> Result<()> {
        let Some(size) = self.size else {
            return Ok(());
        };
        if bytes.is_some_and(|b| b <= size) {
            return Ok(());
        }
        let here = self.here();
        Err(IoError::BeyondFile {
            path: self.path.clone(),
            here,
            what: what.to_string(),
            size,
        }
        .into())
    }

    /// Raw cfitsio pointer, for the few calls this layer does not wrap.
    ///
    /// # Safety
    /// The pointer is valid while `self` lives; do not close it.
    pub unsafe fn raw(&mut self) -> *mut sys::fitsfile {
        self.ptr
    }
}

/// The decompressed contents of a gzip file, or None when the file is not gzip-compressed.
fn gunzip_if_compressed(path: &Path) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    let raw = std::fs::read(path).map_err(|source| IoError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if raw.len() < 18 || raw[0] != 0x1f || raw[1] != 0x8b {
        return Ok(None);
    }
    // ISIZE (uncompressed size mod 2^32) closes the gzip stream: a capacity hint, believed
    // only up to what deflate can expand the file's bytes to (a corrupt trailer of a 43-byte
    // file once asked for 4 GiB)
    let n = raw.len();
    let isize = u32::from_le_bytes([raw[n - 4], raw[n - 3], raw[n - 2], raw[n - 1]]) as usize;
    let bound = n.saturating_mul(MAX_GZIP_RATIO);
    // one-shot libdeflate inflates about twice as fast as streaming zlib; it needs the exact
    // size, which ISIZE gives for the usual single-member file under 4 GiB
    if isize <= bound {
        let mut out = vec![0u8; isize];
        if let Ok(k) = libdeflater::Decompressor::new().gzip_decompress(&raw, &mut out) {
            if k == isize {
                return Ok(Some(out));
            }
        }
    }
    let mut out = Vec::with_capacity(isize.min(bound).max(n));
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .map_err(|source| IoError::CorruptGzip {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(Some(out))
}

/// FITS text of a float: plain decimal in a readable range, exponent form outside it,
/// always with a '.' or 'E' so readers take it as a float.
pub(crate) fn float_text(v: f64, plain: String, exp: String) -> String {
    let a = v.abs();
    let mut text = if a == 0.0 || (1e-4..1e15).contains(&a) {
        plain
    } else {
        exp
    };
    if !text.contains(['.', 'E', 'N', 'i']) {
        text.push_str(".0");
    }
    text
}

/// Keywords cfitsio writes itself when it creates an HDU; never copied between headers.
pub fn is_structural(name: &str) -> bool {
    const FIXED: &[&str] = &[
        "SIMPLE", "BITPIX", "EXTEND", "XTENSION", "PCOUNT", "GCOUNT", "TFIELDS", "END", "CHECKSUM",
        "DATASUM", "BSCALE", "BZERO", "THEAP",
    ];
    if FIXED.contains(&name) {
        return true;
    }
    const INDEXED: &[&str] = &[
        "NAXIS", "TTYPE", "TFORM", "TUNIT", "TDIM", "TNULL", "TSCAL", "TZERO", "TDISP",
    ];
    INDEXED.iter().any(|p| {
        name.strip_prefix(p)
            .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
    })
}

impl Drop for Fits {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            let mut status = 0;
            unsafe { sys::ffclos(self.ptr, &mut status) };
        }
    }
}
