//! A 2-D image held in memory.

/// A 2-D grid of values, row-major `data[y * nx + x]`, 0-based: FITS pixel (1,1) is
/// `data[0]`, NAXIS1 = `nx` is the fast (x) axis, NAXIS2 = `ny` is y.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Number of columns (FITS NAXIS1).
    pub nx: usize,
    /// Number of rows (FITS NAXIS2).
    pub ny: usize,
    /// Pixel values, row-major.
    pub data: Vec<f64>,
}

impl Image {
    /// An image of zeros.
    pub fn zeros(nx: usize, ny: usize) -> Image {
        Image {
            nx,
            ny,
            data: vec![0.0; nx * ny],
        }
    }

    /// Value at 0-based column `x`, row `y`.
    #[inline]
    pub fn get(&self, x: usize, y: usize) -> f64 {
        self.data[y * self.nx + x]
    }

    /// Mutable value at 0-based column `x`, row `y`.
    #[inline]
    pub fn at_mut(&mut self, x: usize, y: usize) -> &mut f64 {
        &mut self.data[y * self.nx + x]
    }

    /// Sum of all pixels.
    pub fn sum(&self) -> f64 {
        self.data.iter().sum()
    }
}
