//! Language codes: sources name languages in ISO 639-3 (NTREX "deu", Tatoeba "cmn"); evaluation sets use
//! ISO 639-1 ("de", "zh"). Records always carry the 639-1 code when one exists, so the sampler and the
//! dev evaluation agree on what "the same language" means.

/// The 639-1 code for a 639-3 (or NTREX script-tagged) code; other codes pass through unchanged.
pub fn normalize(code: &str) -> String {
    let base = code.split(['-', '_']).next().unwrap_or(code);
    let two = match base {
        "ara" | "arb" => "ar",
        "ben" => "bn",
        "cmn" | "zho" => "zh",
        "deu" => "de",
        "ell" => "el",
        "eng" => "en",
        "fas" | "pes" => "fa",
        "fin" => "fi",
        "fra" => "fr",
        "hin" => "hi",
        "ind" => "id",
        "ita" => "it",
        "jpn" => "ja",
        "kor" => "ko",
        "por" => "pt",
        "ron" => "ro",
        "rus" => "ru",
        "spa" => "es",
        "swa" | "swh" => "sw",
        "tel" => "te",
        "tha" => "th",
        "tur" => "tr",
        "ukr" => "uk",
        "vie" => "vi",
        "yor" => "yo",
        _ => return code.to_string(),
    };
    two.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn maps_three_letter_and_script_tagged_codes() {
        assert_eq!(super::normalize("deu"), "de");
        assert_eq!(super::normalize("zho-CN"), "zh");
        assert_eq!(super::normalize("cmn"), "zh");
        assert_eq!(super::normalize("de"), "de");
        assert_eq!(super::normalize("xyz"), "xyz");
    }
}
