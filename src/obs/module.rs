//! The two focal-plane modules.

/// Focal-plane module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Module {
    A,
    B,
}

impl Module {
    /// Module from an INSTRUME value (`FPMA`/`FPMB`); anything else is None.
    pub fn from_instrume(s: &str) -> Option<Module> {
        match s.trim().to_ascii_uppercase().as_str() {
            "FPMA" => Some(Module::A),
            "FPMB" => Some(Module::B),
            _ => None,
        }
    }

    /// "A" or "B".
    pub fn letter(self) -> &'static str {
        match self {
            Module::A => "A",
            Module::B => "B",
        }
    }
}
