//! Number formatting as XSPEC's save files print it: C++ stream output with precision 6 in
//! the default float format (the same text as printf's `%g`), right-aligned in fields of
//! width 15 (value) and 10 (delta and the four limits, each after one space).

/// printf-style `%.{prec}g` of `v`.
pub fn fmt_g(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let prec = prec.max(1);
    let sci = format!("{:.*e}", prec - 1, v);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let x: i32 = exp.parse().unwrap_or(0);
    if x < -4 || x >= prec as i32 {
        let m = strip_zeros(mant);
        format!("{m}e{}{:02}", if x < 0 { '-' } else { '+' }, x.abs())
    } else {
        let decimals = (prec as i32 - 1 - x).max(0) as usize;
        strip_zeros(&format!("{:.*}", decimals, v))
    }
}

fn strip_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// A full parameter line: value, delta, min, bot, top, max.
pub fn param_line(v: [f64; 6]) -> String {
    let mut s = format!("{:>15}", fmt_g(v[0], 6));
    for x in &v[1..] {
        s.push(' ');
        s.push_str(&format!("{:>10}", fmt_g(*x, 6)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_printf_g() {
        let cases = [
            (1e20, "1e+20"),
            (1e24, "1e+24"),
            (0.0234046, "0.0234046"),
            (-0.01, "-0.01"),
            (0.000373057, "0.000373057"),
            (1.58341e-05, "1.58341e-05"),
            (100000.0, "100000"),
            (1e6, "1e+06"),
            (25909.3, "25909.3"),
            (124.0, "124"),
            (0.0, "0"),
            (2.59093, "2.59093"),
            (1.0 / 3.0, "0.333333"),
            (123456789.0, "1.23457e+08"),
            (-0.999, "-0.999"),
        ];
        for (v, want) in cases {
            assert_eq!(fmt_g(v, 6), want, "{v}");
        }
        assert_eq!(
            param_line([1.29, -0.01, -3.0, -2.0, 9.0, 10.0]),
            "           1.29      -0.01         -3         -2          9         10"
        );
        assert_eq!(
            param_line([0.0234046, 0.01, 0.0, 0.0, 1e20, 1e24]),
            "      0.0234046       0.01          0          0      1e+20      1e+24"
        );
    }
}
