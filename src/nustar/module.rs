//! The two focal-plane modules.

/// Focal-plane module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Module {
    A,
    B,
}

impl Module {
    /// Both modules, A then B: the order every per-module loop and output follows.
    pub const ALL: [Module; 2] = [Module::A, Module::B];

    /// The INSTRUME keyword value: "FPMA" or "FPMB".
    pub fn instrume(self) -> &'static str {
        match self {
            Module::A => "FPMA",
            Module::B => "FPMB",
        }
    }

    /// Module from an INSTRUME value (`FPMA`/`FPMB`); anything else is None.
    pub fn from_instrume(s: &str) -> Option<Module> {
        match s.trim().to_ascii_uppercase().as_str() {
            "FPMA" => Some(Module::A),
            "FPMB" => Some(Module::B),
            _ => None,
        }
    }

    /// Module from its letter (`A`/`B`, either case); anything else is None.
    pub fn from_letter(c: char) -> Option<Module> {
        match c.to_ascii_uppercase() {
            'A' => Some(Module::A),
            'B' => Some(Module::B),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instrume_round_trips() {
        for m in Module::ALL {
            assert_eq!(Module::from_instrume(m.instrume()), Some(m));
            assert_eq!(
                Module::from_letter(m.letter().chars().next().unwrap()),
                Some(m)
            );
        }
        assert_eq!(Module::from_letter('c'), None);
    }
}
