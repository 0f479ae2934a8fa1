#!/usr/bin/env python3
"""Make the tiny XLM-R fixture model and its Hugging Face reference outputs.

Writes tests/fixtures/tiny-xlmr/ — a random XLM-RoBERTa checkpoint in true Hugging Face layout
(config.json, model.safetensors, tokenizer.json, plus sentence-transformers' modules.json,
1_Pooling/config.json, config_sentence_transformers.json, sentence_bert_config.json) — and
tests/fixtures/tiny-xlmr-reference.json with, for every test sentence, the token ids from Python `tokenizers`
and the embeddings computed by `transformers` (PyTorch): mean pooling, CLS pooling, and mean pooling of the
"query: "-prefixed text, all L2-normalised as sentence-transformers does.

How it was run (2026-11-24, torch 2.15.0, transformers 5.24.0, tokenizers 0.23.3, CPU):
    python3 -m venv /tmp/hfref
    /tmp/hfref/bin/pip install torch transformers tokenizers safetensors
    /tmp/hfref/bin/python scripts/make_fixture.py

The tokenizer training text and the test sentences below were written for this project (no dataset text).
Unigram training is not bit-reproducible across machines, so re-running may change the vocabulary: the Rust
tests compare against whatever this script last wrote, and both files are committed together.
"""

import json
import os
import sys

import torch
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import XLMRobertaConfig, XLMRobertaModel

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
MODEL_DIR = os.path.join(ROOT, "tiny-xlmr")
REFERENCE = os.path.join(ROOT, "tiny-xlmr-reference.json")

MAX_POSITIONS = 130  # XLM-R numbers positions from pad_token_id + 1 = 2, so 128 tokens fit.
MAX_TOKENS = MAX_POSITIONS - 2
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # ids 0..4, as XLM-R's first four

# Tokenizer training text: everyday sentences in many scripts, written for this fixture.
TRAINING_TEXT = """
The library opens at nine in the morning and closes at six in the evening.
Rivers carry water from the mountains to the sea, shaping valleys along the way.
Children learn languages quickly when they hear them every day at home.
The train to the capital leaves every hour from the central station.
Bread, cheese and fresh fruit were served for breakfast on the terrace.
Die Bibliothek öffnet um neun Uhr morgens und schließt um achtzehn Uhr.
Flüsse tragen das Wasser von den Bergen bis ins Meer hinunter.
Kinder lernen Sprachen schnell, wenn sie sie jeden Tag zu Hause hören.
La bibliothèque ouvre à neuf heures du matin et ferme à dix-huit heures.
Les enfants apprennent vite les langues qu'ils entendent chaque jour.
La biblioteca abre a las nueve de la mañana y cierra a las seis de la tarde.
Los ríos llevan el agua de las montañas hasta el mar.
Los niños aprenden idiomas rápidamente cuando los oyen todos los días.
Библиотека открывается в девять утра и закрывается в шесть вечера.
Реки несут воду с гор к морю и формируют долины на своём пути.
Дети быстро учат языки, если слышат их каждый день дома.
Η βιβλιοθήκη ανοίγει στις εννέα το πρωί και κλείνει στις έξι το απόγευμα.
Τα ποτάμια μεταφέρουν νερό από τα βουνά στη θάλασσα.
Τα παιδιά μαθαίνουν γρήγορα γλώσσες όταν τις ακούν κάθε μέρα.
تفتح المكتبة في الساعة التاسعة صباحا وتغلق في السادسة مساء.
تحمل الأنهار المياه من الجبال إلى البحر وتشكل الوديان في طريقها.
يتعلم الأطفال اللغات بسرعة عندما يسمعونها كل يوم في المنزل.
पुस्तकालय सुबह नौ बजे खुलता है और शाम छह बजे बंद होता है।
नदियाँ पहाड़ों से समुद्र तक पानी ले जाती हैं।
बच्चे भाषाएँ जल्दी सीखते हैं जब वे उन्हें हर दिन घर पर सुनते हैं।
ห้องสมุดเปิดเวลาเก้าโมงเช้าและปิดเวลาหกโมงเย็น
แม่น้ำพาน้ำจากภูเขาไปสู่ทะเล
เด็กๆ เรียนภาษาได้เร็วเมื่อได้ยินทุกวันที่บ้าน
图书馆早上九点开门，晚上六点关门。
河流把水从山上带到大海，沿途塑造了山谷。
孩子们每天在家里听到语言，就会学得很快。
図書館は朝九時に開き、夕方六時に閉まります。
川は山から海へ水を運びます。
도서관은 아침 아홉 시에 열고 저녁 여섯 시에 닫습니다.
강은 산에서 바다로 물을 운반합니다.
Thư viện mở cửa lúc chín giờ sáng và đóng cửa lúc sáu giờ chiều.
Trẻ em học ngôn ngữ rất nhanh khi nghe mỗi ngày ở nhà.
Kütüphane sabah dokuzda açılır ve akşam altıda kapanır.
Çocuklar dilleri her gün evde duyduklarında hızlı öğrenirler.
Good morning 🌞 and good night 🌙, see you soon 👋 with love ❤️ and a smile 😀.
Weather today: ☀️ sunny, later 🌧️ rain; take an umbrella ☂️.
Numbers like 2024, 3.14 and 1,000,000 appear in text too.
""".strip().splitlines()

# Test sentences: every script the product meets, plus emoji, mixed script, numbers and one overlong text.
TEST_SENTENCES = [
    "Where does the train to the capital leave from?",
    "How many hours is the library open every day?",
    "Wann öffnet die Bibliothek am Morgen?",
    "Les rivières façonnent les vallées jusqu'à la mer.",
    "¿A qué hora cierra la biblioteca?",
    "Когда открывается библиотека?",
    "Πού πηγαίνουν τα ποτάμια;",
    "متى تفتح المكتبة؟",
    "पुस्तकालय कब खुलता है?",
    "ห้องสมุดเปิดกี่โมง",
    "图书馆几点开门？",
    "図書館は何時に開きますか？",
    "도서관은 몇 시에 엽니까?",
    "Thư viện mở cửa lúc mấy giờ?",
    "Kütüphane ne zaman kapanır?",
    "Good morning 🌞 see you soon 👋",
    "🎉🎂🥳",
    "The Библиотека and the 图书馆 both open at 9 — يوم سعيد!",
    "Numbers: 2024, 3.14 and 1,000,000.",
    "ﬁne ＦＵＬＬＷＩＤＴＨ text with   extra   spaces",
    "a",
    "Rivers carry water from the mountains to the sea. " * 20,  # longer than 128 tokens: tests truncation
]


def train_tokenizer():
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(
        vocab_size=1200, special_tokens=SPECIALS, unk_token="<unk>", shrinking_factor=0.75, max_piece_length=12
    )
    tok.train_from_iterator(TRAINING_TEXT, trainer=trainer)
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    for i, s in enumerate(SPECIALS[:4]):
        assert tok.token_to_id(s) == i, (s, tok.token_to_id(s))
    return tok


def randomize(model, gen):
    # Larger than HF's N(0, 0.02) so a mistake anywhere (positions, LayerNorm, bias) moves the embedding visibly.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("LayerNorm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.15 * torch.randn(p.shape, generator=gen))


def embed(model, tok, texts):
    encs = tok.encode_batch(texts)
    seq = max(len(e.ids) for e in encs)
    ids = torch.full((len(encs), seq), 1, dtype=torch.long)
    mask = torch.zeros((len(encs), seq), dtype=torch.long)
    for i, e in enumerate(encs):
        ids[i, : len(e.ids)] = torch.tensor(e.ids)
        mask[i, : len(e.ids)] = 1
    with torch.no_grad():
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    m = mask.unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
    cls = hidden[:, 0]
    norm = torch.nn.functional.normalize
    return norm(mean, p=2, dim=1), norm(cls, p=2, dim=1), [e.ids for e in encs]


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1234)
    tok = train_tokenizer()
    tok.enable_truncation(MAX_TOKENS)
    vocab = tok.get_vocab_size(with_added_tokens=True)
    config = XLMRobertaConfig(
        vocab_size=vocab,
        hidden_size=64,
        num_hidden_layers=3,
        num_attention_heads=4,
        intermediate_size=128,
        hidden_act="gelu",
        max_position_embeddings=MAX_POSITIONS,
        type_vocab_size=1,
        layer_norm_eps=1e-5,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    model = XLMRobertaModel(config, add_pooling_layer=False).eval()
    randomize(model, gen)

    os.makedirs(os.path.join(MODEL_DIR, "1_Pooling"), exist_ok=True)
    model.save_pretrained(MODEL_DIR, safe_serialization=True)
    saved = tok.to_str()
    tok_to_save = Tokenizer.from_str(saved)
    tok_to_save.no_truncation()
    tok_to_save.save(os.path.join(MODEL_DIR, "tokenizer.json"))
    write_json("modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    write_json("1_Pooling/config.json", {"word_embedding_dimension": 64, "pooling_mode_cls_token": False,
                                         "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
                                         "pooling_mode_mean_sqrt_len_tokens": False})
    write_json("config_sentence_transformers.json", {"prompts": {"query": "query: ", "passage": "passage: "},
                                                     "default_prompt_name": None, "similarity_fn_name": "cosine"})
    write_json("sentence_bert_config.json", {"max_seq_length": MAX_TOKENS, "do_lower_case": False})

    # Reference: each sentence alone (batch of one), then a padded batch that must agree (HF's own invariance).
    mean, cls, ids = [], [], []
    for s in TEST_SENTENCES:
        m, c, i = embed(model, tok, [s])
        mean.append(m[0]); cls.append(c[0]); ids.append(i[0])
    qmean = [embed(model, tok, ["query: " + s])[0][0] for s in TEST_SENTENCES]
    batch_mean, _, _ = embed(model, tok, TEST_SENTENCES)
    drift = (torch.stack(mean) - batch_mean).abs().max().item()
    assert drift < 1e-5, f"HF itself is not padding-invariant here: {drift}"
    assert any(len(i) == MAX_TOKENS for i in ids), "the long sentence must hit truncation"
    assert any(3 in i for i in ids), "some sentence must contain <unk>"

    ref = {
        "generator": "scripts/make_fixture.py",
        "versions": {"torch": torch.__version__, "transformers": __import__("transformers").__version__,
                     "tokenizers": __import__("tokenizers").__version__},
        "max_tokens": MAX_TOKENS,
        "dim": 64,
        "sentences": [
            {"text": s, "ids": i, "mean": m.tolist(), "cls": c.tolist(), "query_mean": q.tolist()}
            for s, i, m, c, q in zip(TEST_SENTENCES, ids, mean, cls, qmean)
        ],
    }
    with open(REFERENCE, "w", encoding="utf-8") as f:
        json.dump(ref, f, ensure_ascii=False, indent=1)
    size = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(MODEL_DIR) for fn in fns)
    print(f"vocab {vocab}, model dir {size} bytes, {len(TEST_SENTENCES)} reference sentences", file=sys.stderr)


def write_json(name, obj):
    with open(os.path.join(MODEL_DIR, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)


if __name__ == "__main__":
    main()
