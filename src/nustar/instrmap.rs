//! Instrument-map files: the CALDB INSTRMAP (active DET1 sub-pixels, > 0 active) and the
//! mkinstrmap product `newinstrmap{M}.fits` (360×360 DET1 image, 0 = inactive or bad,
//! 1..4 = DET0..DET3), and the inputs an instrument map is built from, read.

use crate::error::{NustarError, Result};
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::io::output::Output;
use crate::nustar::badpix::{read_badpix, BadPixels};
use crate::nustar::caldb::Caldb;
use crate::nustar::module::Module;
use crate::nustar::pixpos::{PixelMap, N};
use std::path::{Path, PathBuf};

/// What an instrument map is built from, read: the CALDB map, the RAW→DET1 ownership map
/// and the bad-pixel lists of the module.
#[derive(Debug, Clone)]
pub struct InstrmapInputs {
    /// CALDB instrument map, 360×360 DET1 sub-pixels (> 0 active), as stored (unshifted).
    pub caldb_map: Image,
    /// Header records of the CALDB map's HDU, copied into the product.
    pub caldb_cards: Vec<String>,
    /// The CALDB INSTRMAP file.
    pub caldb_file: PathBuf,
    /// RAW→DET1 ownership map.
    pub pixmap: PixelMap,
    /// Where the RAW→DET1 map came from (CALDB PIXPOS file, or the auxil IDL maps).
    pub pixmap_source: String,
    /// Bad-pixel lists for the module, in the order read: the files given, then the
    /// CALDB BADPIX file when the CALDB has one.
    pub bad: Vec<BadPixels>,
}

impl InstrmapInputs {
    /// Read the inputs for module `m` at observation date `date` (ISO, DATE-OBS): the
    /// CALDB INSTRMAP, the CALDB PIXPOS (else the IDL maps of `auxil`), and the bad pixels
    /// of `bad_files` (event files, user lists) and of the CALDB BADPIX file. Files for
    /// the other module are skipped with a note on stderr.
    pub fn read(
        caldb: &Caldb,
        m: Module,
        date: &str,
        bad_files: &[PathBuf],
        auxil: Option<&Path>,
    ) -> Result<InstrmapInputs> {
        let ins = m.instrume();
        let imap_file = caldb.lookup("INSTRMAP", ins, None, date)?;
        let (caldb_map, caldb_cards) = read_caldb_instrmap(&imap_file.path)?;
        let (pixmap, pixmap_source) = raw_to_det1_map(caldb, m, date, auxil)?;
        let mut files = bad_files.to_vec();
        if let Ok(f) = caldb.lookup("BADPIX", ins, Some("DET0"), date) {
            files.push(f.path);
        }
        Ok(InstrmapInputs {
            caldb_map,
            caldb_cards,
            caldb_file: imap_file.path,
            pixmap,
            pixmap_source,
            bad: read_module_badpix(&files, m)?,
        })
    }

    /// Per bad-pixel list: (file, rows read, bad pixels listed, DET1 sub-pixels removed),
    /// given the sub-pixels each list removed (in list order).
    pub fn sources(&self, removed: &[usize]) -> Vec<(PathBuf, usize, usize, usize)> {
        self.bad
            .iter()
            .zip(removed)
            .map(|(b, r)| (b.file.clone(), b.rows, b.pixels.len(), *r))
            .collect()
    }
}

/// The RAW→DET1 map of module `m`: the CALDB PIXPOS file, else the auxil IDL maps; with
/// where it came from.
fn raw_to_det1_map(
    caldb: &Caldb,
    m: Module,
    date: &str,
    auxil: Option<&Path>,
) -> Result<(PixelMap, String)> {
    match caldb.lookup("PIXPOS", m.instrume(), Some("DET0"), date) {
        Ok(f) => Ok((
            PixelMap::from_pixpos(&f.path)?,
            f.path.display().to_string(),
        )),
        Err(e) => match auxil {
            Some(a) => Ok((
                PixelMap::from_auxil(a, m)?,
                format!("{} (auxil IDL maps; CALDB: {e})", a.display()),
            )),
            None => Err(e),
        },
    }
}

/// The bad-pixel lists of `files` for module `m`, skipping (with a note) files for the
/// other module.
fn read_module_badpix(files: &[PathBuf], m: Module) -> Result<Vec<BadPixels>> {
    let mut lists = Vec::new();
    for f in files {
        match read_badpix(f, m)? {
            Some(b) => lists.push(b),
            None => crate::errln!(
                "mkinstrmap: {}: bad pixels for the other module, skipped",
                f.display()
            ),
        }
    }
    Ok(lists)
}

/// Read the CALDB instrument map (HDU named INSTRMAP, else the first 2-D image) and its
/// header records.
fn read_caldb_instrmap(path: &Path) -> Result<(Image, Vec<String>)> {
    let mut f = Fits::open(path)?;
    if !f.try_goto_named("INSTRMAP")? {
        let mut found = false;
        for h in 1..=f.num_hdus()? {
            f.goto_hdu(h)?;
            if f.opt_key_i64("NAXIS")? == Some(2) {
                found = true;
                break;
            }
        }
        if !found {
            return Err(NustarError::MissingExtension {
                path: path.to_path_buf(),
                what: "INSTRMAP image".into(),
            }
            .into());
        }
    }
    let img = f.read_image()?;
    if (img.nx, img.ny) != (N, N) {
        return Err(NustarError::WrongMapSize {
            path: path.to_path_buf(),
            expected: "instrument map must be 360x360".into(),
            nx: img.nx,
            ny: img.ny,
        }
        .into());
    }
    Ok((img, f.cards()?))
}

/// Write an instrument map (`map`: 0 = inactive or bad, 1..4 = DET0..DET3) built from
/// `inputs` for module `m`, with the CALDB map's header and a HISTORY line per source;
/// `removed` is the DET1 sub-pixels each bad-pixel list removed, in list order.
pub fn write_instrmap(
    out: &Output,
    map: &Image,
    inputs: &InstrmapInputs,
    removed: &[usize],
    m: Module,
) -> Result<()> {
    out.write_fits(|f| {
        f.write_image(map, -64)?;
        f.copy_cards(&inputs.caldb_cards, &["EXTNAME"])?;
        f.set_key_str("EXTNAME", "INSTRMAP", "0 = inactive/bad, 1-4 = DET0-DET3")?;
        f.set_key_str("TELESCOP", "NuSTAR", "")?;
        f.set_key_str("INSTRUME", m.instrume(), "")?;
        f.write_date()?;
        f.history(&format!(
            "nuskybgd mkinstrmap: instrument map from {}",
            inputs.caldb_file.display()
        ))?;
        f.history(&format!("RAW->DET1 map from {}", inputs.pixmap_source))?;
        for (file, rows, bad, removed) in &inputs.sources(removed) {
            f.history(&format!(
                "bad pixels: {} ({rows} rows, {bad} bad, {removed} DET1 px removed)",
                file.display()
            ))?;
        }
        Ok(())
    })
}

/// Read an instrument map (mkinstrmap output): HDU named INSTRMAP, else the primary image;
/// 360×360 DET1 pixels, 0 = inactive, 1..4 = DET0..DET3.
pub fn read_chipmap(path: &Path) -> Result<Image> {
    let mut f = Fits::open(path)?;
    if !f.try_goto_named("INSTRMAP")? {
        f.goto_hdu(1)?;
    }
    let img = f.read_image()?;
    if (img.nx, img.ny) != (360, 360) {
        return Err(NustarError::WrongMapSize {
            path: path.to_path_buf(),
            expected: "instrument map must be 360x360 DET1 pixels".into(),
            nx: img.nx,
            ny: img.ny,
        }
        .into());
    }
    check_labels(path, &img)?;
    Ok(img)
}

/// Refuse an instrument map with a pixel that is not a label 0–4, or with no active pixel
/// (1–4): every product projected through it would be all zeros.
fn check_labels(path: &Path, img: &Image) -> Result<()> {
    let bad = img
        .data
        .iter()
        .position(|&v| !(v == 0.0 || v == 1.0 || v == 2.0 || v == 3.0 || v == 4.0));
    if let Some(i) = bad {
        return Err(NustarError::BadMapLabel {
            path: path.to_path_buf(),
            x: i % img.nx + 1,
            y: i / img.nx + 1,
            value: img.data[i],
        }
        .into());
    }
    if img.data.iter().all(|&v| v == 0.0) {
        return Err(NustarError::NoActivePixel {
            path: path.to_path_buf(),
        }
        .into());
    }
    Ok(())
}
