//! The Unicode script of a character, coarsely: by the blocks each script occupies (ISO 15924 codes), so the
//! trimmer can keep every single-character piece of a script the corpus uses. No crate in the build answers the
//! Script property, and blocks are close enough here: a misfiled character only moves a single-character piece
//! between two kept-or-not groups, and every character the corpus itself contains is kept regardless.
//! Characters outside the table are `Zyyy` (Common: digits, punctuation, symbols, emoji); combining marks `Zinh`.

/// `(first, last, script)`, sorted by `first`, not overlapping.
const RANGES: &[(u32, u32, &str)] = &[
    (0x0041, 0x005A, "Latn"), (0x0061, 0x007A, "Latn"), (0x00AA, 0x00AA, "Latn"), (0x00BA, 0x00BA, "Latn"),
    (0x00C0, 0x00D6, "Latn"), (0x00D8, 0x00F6, "Latn"), (0x00F8, 0x02AF, "Latn"), (0x0300, 0x036F, "Zinh"),
    (0x0370, 0x03FF, "Grek"), (0x0400, 0x052F, "Cyrl"), (0x0530, 0x058F, "Armn"), (0x0590, 0x05FF, "Hebr"),
    (0x0600, 0x06FF, "Arab"), (0x0700, 0x074F, "Syrc"), (0x0750, 0x077F, "Arab"), (0x0780, 0x07BF, "Thaa"),
    (0x07C0, 0x07FF, "Nkoo"), (0x08A0, 0x08FF, "Arab"), (0x0900, 0x097F, "Deva"), (0x0980, 0x09FF, "Beng"),
    (0x0A00, 0x0A7F, "Guru"), (0x0A80, 0x0AFF, "Gujr"), (0x0B00, 0x0B7F, "Orya"), (0x0B80, 0x0BFF, "Taml"),
    (0x0C00, 0x0C7F, "Telu"), (0x0C80, 0x0CFF, "Knda"), (0x0D00, 0x0D7F, "Mlym"), (0x0D80, 0x0DFF, "Sinh"),
    (0x0E00, 0x0E7F, "Thai"), (0x0E80, 0x0EFF, "Laoo"), (0x0F00, 0x0FFF, "Tibt"), (0x1000, 0x109F, "Mymr"),
    (0x10A0, 0x10FF, "Geor"), (0x1100, 0x11FF, "Hang"), (0x1200, 0x139F, "Ethi"), (0x13A0, 0x13FF, "Cher"),
    (0x1400, 0x167F, "Cans"), (0x1680, 0x169F, "Ogam"), (0x16A0, 0x16FF, "Runr"), (0x1700, 0x171F, "Tglg"),
    (0x1780, 0x17FF, "Khmr"), (0x1800, 0x18AF, "Mong"), (0x19E0, 0x19FF, "Khmr"), (0x1AB0, 0x1AFF, "Zinh"),
    (0x1B00, 0x1B7F, "Bali"), (0x1C80, 0x1C8F, "Cyrl"), (0x1C90, 0x1CBF, "Geor"), (0x1D00, 0x1DBF, "Latn"),
    (0x1DC0, 0x1DFF, "Zinh"), (0x1E00, 0x1EFF, "Latn"), (0x1F00, 0x1FFF, "Grek"), (0x20D0, 0x20FF, "Zinh"),
    (0x2C60, 0x2C7F, "Latn"), (0x2D00, 0x2D2F, "Geor"), (0x2D30, 0x2D7F, "Tfng"), (0x2D80, 0x2DDF, "Ethi"),
    (0x2DE0, 0x2DFF, "Cyrl"), (0x2E80, 0x2FDF, "Hani"), (0x3005, 0x3005, "Hani"), (0x3007, 0x3007, "Hani"),
    (0x3021, 0x3029, "Hani"), (0x3038, 0x303B, "Hani"), (0x3040, 0x309F, "Hira"), (0x30A0, 0x30FF, "Kana"),
    (0x3100, 0x312F, "Bopo"), (0x3130, 0x318F, "Hang"), (0x31A0, 0x31BF, "Bopo"), (0x31F0, 0x31FF, "Kana"),
    (0x3400, 0x4DBF, "Hani"), (0x4E00, 0x9FFF, "Hani"), (0xA000, 0xA4CF, "Yiii"), (0xA640, 0xA69F, "Cyrl"),
    (0xA720, 0xA7FF, "Latn"), (0xA8E0, 0xA8FF, "Deva"), (0xA960, 0xA97F, "Hang"), (0xA980, 0xA9DF, "Java"),
    (0xAB30, 0xAB6F, "Latn"), (0xAC00, 0xD7FF, "Hang"), (0xF900, 0xFAFF, "Hani"), (0xFB00, 0xFB06, "Latn"),
    (0xFB13, 0xFB17, "Armn"), (0xFB1D, 0xFB4F, "Hebr"), (0xFB50, 0xFDFF, "Arab"), (0xFE00, 0xFE0F, "Zinh"),
    (0xFE20, 0xFE2F, "Zinh"), (0xFE70, 0xFEFF, "Arab"), (0xFF21, 0xFF3A, "Latn"), (0xFF41, 0xFF5A, "Latn"),
    (0xFF66, 0xFF9F, "Kana"), (0x20000, 0x3FFFF, "Hani"),
];

/// Common: everything no script owns (digits, punctuation, symbols, emoji, the Metaspace "▁").
pub const COMMON: &str = "Zyyy";
/// Inherited: combining marks, which take the script of the letter they follow.
pub const INHERITED: &str = "Zinh";

/// The script code of `c` (`Zyyy` when no script owns it).
pub fn script_of(c: char) -> &'static str {
    let c = c as u32;
    match RANGES.binary_search_by(|&(first, last, _)| {
        if last < c {
            std::cmp::Ordering::Less
        } else if first > c {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    }) {
        Ok(i) => RANGES[i].2,
        Err(_) => COMMON,
    }
}

/// Every script code the table knows (for validating `--keep-scripts`).
pub fn known(code: &str) -> bool {
    code == COMMON || code == INHERITED || RANGES.iter().any(|r| r.2 == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_answers() {
        assert!(RANGES.windows(2).all(|w| w[0].1 < w[1].0), "ranges sorted and disjoint");
        for (c, s) in [('a', "Latn"), ('é', "Latn"), ('Ж', "Cyrl"), ('π', "Grek"), ('ب', "Arab"), ('न', "Deva"), ('ห', "Thai"),
            ('图', "Hani"), ('は', "Hira"), ('ン', "Kana"), ('도', "Hang"), ('ư', "Latn"), ('1', COMMON), ('🌞', COMMON), ('▁', COMMON)]
        {
            assert_eq!(script_of(c), s, "{c}");
        }
    }
}
