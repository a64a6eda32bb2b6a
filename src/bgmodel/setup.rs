//! The inputs of the background model read once: bgdinfo.json, the presets
//! (`ratios.json`), the reference sky grid, each module's projected images and every
//! background spectrum with its region weights. `fit`, `spec`, `image` and `bgdspec`
//! start from it.

use crate::bgmodel::arf::arf_names;
use crate::bgmodel::bgdinfo::BgdInfo;
use crate::bgmodel::geometry::{region_weights, spectrum_module, ModuleMaps, RegionWeights};
use crate::bgmodel::model_build::SpectrumGeom;
use crate::bgmodel::presets::Presets;
use crate::error::{ModelError, Result};
use crate::nustar::module::Module;
use crate::sky::regmask::Grid;
use crate::spectral::ogip::pha::Spectrum;
use std::path::{Path, PathBuf};

/// A spectrum with its region on the reference grid.
#[derive(Debug, Clone)]
pub struct RegionSpectrum {
    /// The spectrum file (PHA).
    pub pha: PathBuf,
    /// Its region file.
    pub region: PathBuf,
    /// The spectrum as read.
    pub spectrum: Spectrum,
    /// Its module (from INSTRUME).
    pub module: Module,
    /// What the region collects of the module's detector and aperture images.
    pub weights: RegionWeights,
}

impl RegionSpectrum {
    /// Read spectrum `pha` of region `reg` and weigh the region on its module's images.
    pub fn read(setup: &BackgroundSetup, pha: &Path, reg: &Path) -> Result<RegionSpectrum> {
        let spectrum = Spectrum::read_at(pha, None)?;
        let module = spectrum_module(pha, &spectrum.instrume)?;
        Self::on_grid(setup, pha, reg, spectrum, module)
    }

    /// Spectrum `spectrum` (file `pha`, module `module`) with region `reg` weighed on the
    /// module's images; an error when no background spectrum is of that module.
    pub fn on_grid(
        setup: &BackgroundSetup,
        pha: &Path,
        reg: &Path,
        spectrum: Spectrum,
        module: Module,
    ) -> Result<RegionSpectrum> {
        let maps = setup
            .maps(module)
            .ok_or_else(|| ModelError::ModuleNotFitted {
                path: pha.into(),
                instrume: module.instrume().into(),
            })?;
        let weights = region_weights(&setup.grid, reg, module, maps)?;
        Ok(RegionSpectrum {
            pha: pha.to_path_buf(),
            region: reg.to_path_buf(),
            spectrum,
            module,
            weights,
        })
    }

    /// The spectrum's RMF: RESPFILE, relative to the spectrum's directory; an error when
    /// RESPFILE is not set.
    pub fn rmf_path(&self) -> Result<PathBuf> {
        let resp = self
            .spectrum
            .respfile
            .clone()
            .ok_or_else(|| ModelError::NoRespfile {
                path: self.pha.clone(),
            })?;
        Ok(self
            .pha
            .parent()
            .map(|d| d.join(&resp))
            .unwrap_or_else(|| PathBuf::from(&resp)))
    }

    /// The geometry and files the model build needs, with `maps` the module's images.
    pub fn geom(&self, maps: &ModuleMaps) -> Result<SpectrumGeom> {
        let rmf = self.rmf_path()?;
        let (nsb, _) = arf_names(&self.pha);
        Ok(SpectrumGeom {
            pha: self.pha.display().to_string(),
            rmf: rmf.display().to_string(),
            nsb_arf: nsb.display().to_string(),
            module: self.module,
            area: self.weights.area,
            apw: self.weights.apw,
            det_total: maps.totals(),
        })
    }
}

/// The background model's inputs, read once.
pub struct BackgroundSetup {
    /// The bgdinfo.json file (for messages).
    pub bgdinfo: PathBuf,
    /// Its contents.
    pub info: BgdInfo,
    /// The presets (`ratios.json` of the auxiliary directory).
    pub presets: Presets,
    /// The reference sky grid every region is rendered on.
    pub grid: Grid,
    /// Projected images of each module with background spectra, in order of first use.
    pub modules: Vec<(Module, ModuleMaps)>,
    /// The background spectra in fit order (spectrum k is data group k + 1).
    pub spectra: Vec<RegionSpectrum>,
}

impl BackgroundSetup {
    /// Read bgdinfo.json, `auxil/ratios.json` and everything they name.
    pub fn load(bgdinfo: &Path, auxil: &Path) -> Result<BackgroundSetup> {
        let info = BgdInfo::read(bgdinfo)?;
        let presets = Presets::read(&auxil.join("ratios.json"))?;
        Self::from_parts(bgdinfo, info, presets)
    }

    /// From bgdinfo.json (file `bgdinfo`, already read) and the presets: the grid, the
    /// module images and the background spectra with their weights.
    pub fn from_parts(bgdinfo: &Path, info: BgdInfo, presets: Presets) -> Result<BackgroundSetup> {
        let grid = Grid::read(&info.refimg)?;
        let mut setup = BackgroundSetup {
            bgdinfo: bgdinfo.to_path_buf(),
            info,
            presets,
            grid,
            modules: Vec::new(),
            spectra: Vec::new(),
        };
        let pairs: Vec<(PathBuf, PathBuf)> = setup
            .info
            .bgfiles
            .iter()
            .cloned()
            .zip(setup.info.regfiles.iter().cloned())
            .collect();
        for (pha, reg) in pairs {
            let s = setup.read_background(&pha, &reg)?;
            setup.spectra.push(s);
        }
        Ok(setup)
    }

    /// One background spectrum, reading its module's images on first use.
    fn read_background(&mut self, pha: &Path, reg: &Path) -> Result<RegionSpectrum> {
        let sp = Spectrum::read_at(pha, None)?;
        let m = spectrum_module(pha, &sp.instrume)?;
        if self.maps(m).is_none() {
            let maps = ModuleMaps::read(self.info.images(&self.bgdinfo, m)?, &self.grid)?;
            self.modules.push((m, maps));
        }
        RegionSpectrum::on_grid(self, pha, reg, sp, m)
    }

    /// The projected images of module `m` (None when no background spectrum is of it).
    pub fn maps(&self, m: Module) -> Option<&ModuleMaps> {
        self.modules.iter().find(|(x, _)| *x == m).map(|(_, v)| v)
    }

    /// The first background spectrum of module `m` (0-based), the module's reference.
    pub fn reference(&self, m: Module) -> Option<usize> {
        self.spectra.iter().position(|s| s.module == m)
    }

    /// The model-build geometry of every background spectrum, in order.
    pub fn geoms(&self) -> Result<Vec<SpectrumGeom>> {
        self.spectra
            .iter()
            .map(|s| s.geom(self.maps(s.module).expect("read with the spectra")))
            .collect()
    }
}
