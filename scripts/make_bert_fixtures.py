#!/usr/bin/env python3
"""Make the tiny BERT-family fixtures and their Hugging Face reference outputs.

Writes, in true Hugging Face / sentence-transformers layout:

- tests/fixtures/tiny-bert-wordpiece/ — a random `BertModel` (hidden 32, 2 layers, 4 heads, FFN 64, 64 positions,
  2 token types, pad id 0) with an uncased WordPiece tokenizer trained here by `tokenizers` (BertNormalizer,
  BertPreTokenizer, TemplateProcessing "[CLS] $A [SEP]"), mean pooling + Normalize and query/passage prompts
  (shaped like multilingual-e5-small, which is a BERT);
- tests/fixtures/tiny-labse/ — LaBSE-shaped: a random `BertModel` with its pooler (as LaBSE's checkpoint has one),
  a cased WordPiece tokenizer, CLS pooling → Dense(32 → 32, tanh) → Normalize (modules.json, 1_Pooling,
  2_Dense/{config.json, model.safetensors} saved by sentence-transformers' own Dense, 3_Normalize), and
  sentence_bert_config max_seq_length 48 (below the 64 positions, so the smaller limit must win);

and next to each a `<name>-reference.json`: for every test sentence the token ids from the `tokenizers` library
(truncated at the model's limit) and the embeddings computed from exactly those ids:
- wordpiece: `embedding` (transformers, mean pooling, L2-normalised), `query_embedding` (the "query: "-prefixed
  text), `max` (sentence-transformers' Pooling("max") + Normalize over the same hidden states), each also checked
  against `SentenceTransformer(dir)` where the directory defines it;
- labse: `embedding` from `SentenceTransformer(dir)` (CLS → Dense → Normalize), checked against a hand-written
  torch computation.

transformers' AutoTokenizer can build a different pipeline from the same files (its BertTokenizerFast re-applies
tokenizer_config.json's do_lower_case / strip_accents onto the normalizer); the script compares its ids with the
`tokenizers` library's for every sentence, prints the differences and records them as `autotokenizer_differs`.
The reference inputs are always the `tokenizers` library's ids, which is what LingBridge (the Rust `tokenizers`
crate) computes.

How it was run (2026-11-25, torch 2.15.0, transformers 5.24.0, sentence-transformers 6.3.0, tokenizers 0.23.3,
safetensors 0.8.0, CPU):
    /work/hfref/bin/python scripts/make_bert_fixtures.py

The training text comes from scripts/make_fixture.py (written for this project) plus a few lines below; the test
sentences were written for this project. WordPiece training is deterministic for a given text, but the committed
files are the reference either way: the Rust tests compare against whatever this script last wrote.
"""

import json
import os
import sys

import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer, BertConfig, BertModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixture import TRAINING_TEXT  # noqa: E402  (the project's own multilingual text)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]  # ids 0..4: pad id 0, as BERT's
POSITIONS = 64

EXTRA_TEXT = [
    "Ein Zug fährt jede Stunde vom Hauptbahnhof in die Hauptstadt.",
    "Le train pour la capitale part toutes les heures de la gare centrale.",
    "Поезд в столицу отправляется каждый час с центрального вокзала.",
    "Το τρένο για την πρωτεύουσα φεύγει κάθε ώρα.",
    "القطار إلى العاصمة يغادر كل ساعة من المحطة المركزية.",
    "राजधानी के लिए ट्रेन हर घंटे केंद्रीय स्टेशन से चलती है।",
    "开往首都的火车每小时从中央车站出发。",
    "首都行きの列車は毎時中央駅から出発します。",
]

TEST_SENTENCES = [
    "Where does the train to the capital leave from?",
    "Wann fährt der Zug in die Hauptstadt ab?",
    "Les rivières façonnent les vallées jusqu'à la mer.",
    "¿A qué hora cierra la BIBLIOTECA?",
    "Когда открывается библиотека?",
    "Πού πηγαίνουν τα ποτάμια;",
    "متى تفتح المكتبة؟",
    "पुस्तकालय कब खुलता है?",
    "图书馆几点开门？",
    "図書館は何時に開きますか？",
    "도서관은 몇 시에 엽니까?",
    "Thư viện mở cửa lúc mấy giờ?",
    "Good morning 🌞 see you soon 👋 — ﬁne ＦＵＬＬＷＩＤＴＨ",
    "The Библиотека and the 图书馆 both open at 9, يوم سعيد!",
    "a",
    "Rivers carry water from the mountains to the sea. " * 8,  # longer than 64 tokens: truncation
]


def train_wordpiece(lowercase):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    # strip_accents=None follows lowercase, as in BERT (uncased strips accents, cased keeps them).
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    trainer = trainers.WordPieceTrainer(vocab_size=900, special_tokens=SPECIALS, min_frequency=1, continuing_subword_prefix="##")
    tok.train_from_iterator(TRAINING_TEXT + EXTRA_TEXT, trainer=trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    for i, s in enumerate(SPECIALS):
        assert tok.token_to_id(s) == i, (s, tok.token_to_id(s))
    return tok


def randomize(model, gen):
    # Larger than HF's N(0, 0.02) so a mistake anywhere (positions, token types, LayerNorm, bias) shows.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("LayerNorm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.15 * torch.randn(p.shape, generator=gen))


def bert(vocab, seed, pooler):
    config = BertConfig(
        vocab_size=vocab, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        hidden_act="gelu", max_position_embeddings=POSITIONS, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0,
    )
    model = BertModel(config, add_pooling_layer=pooler).eval()
    randomize(model, torch.Generator().manual_seed(seed))
    return model


def padded(encs):
    seq = max(len(e) for e in encs)
    ids = torch.zeros((len(encs), seq), dtype=torch.long)
    mask = torch.zeros((len(encs), seq), dtype=torch.long)
    for i, e in enumerate(encs):
        ids[i, : len(e)] = torch.tensor(e)
        mask[i, : len(e)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}


def hidden_states(model, feats):
    with torch.no_grad():
        return model(**feats).last_hidden_state


def st_forward(st, feats):
    """A SentenceTransformer's modules on ids we computed (bypassing its AutoTokenizer)."""
    with torch.no_grad():
        return st({k: v.clone() for k, v in feats.items()})["sentence_embedding"]


def save_dir(name, model, tok, modules, extra):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    model.save_pretrained(d, safe_serialization=True)
    t = Tokenizer.from_str(tok.to_str())
    t.no_truncation()
    t.save(os.path.join(d, "tokenizer.json"))
    write_json(d, "modules.json", modules)
    for path, obj in extra.items():
        write_json(d, path, obj)
    return d


def write_json(d, name, obj):
    os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
    with open(os.path.join(d, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)


def compare_autotokenizer(d, tok, max_len, texts):
    """Sentences whose ids differ between transformers' AutoTokenizer and the tokenizers library."""
    auto = AutoTokenizer.from_pretrained(d)
    differs = []
    for s in texts:
        a = auto(s, truncation=True, max_length=max_len)["input_ids"]
        b = tok.encode(s).ids
        if a != b:
            differs.append(s)
            print(f"  {os.path.basename(d)}: AutoTokenizer differs on {s[:40]!r}: {a[:12]} vs {b[:12]}", file=sys.stderr)
    print(f"  {os.path.basename(d)}: AutoTokenizer differs on {len(differs)}/{len(texts)} sentences", file=sys.stderr)
    return differs


def versions():
    import safetensors, sentence_transformers, tokenizers, transformers
    return {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
            "sentence-transformers": sentence_transformers.__version__, "safetensors": safetensors.__version__}


def write_reference(name, max_tokens, dim, differs, sentences):
    ref = {"generator": "scripts/make_bert_fixtures.py", "versions": versions(), "max_tokens": max_tokens, "dim": dim,
           "autotokenizer_differs": differs, "sentences": sentences}
    with open(os.path.join(ROOT, f"{name}-reference.json"), "w", encoding="utf-8") as f:
        json.dump(ref, f, ensure_ascii=False, indent=1)


def check_close(a, b, what):
    diff = (a - b).abs().max().item()
    assert diff < 1e-6, f"{what}: {diff}"


def make_wordpiece():
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize
    from sentence_transformers.sentence_transformer.modules import Pooling

    name = "tiny-bert-wordpiece"
    tok = train_wordpiece(lowercase=True)
    tok.enable_truncation(POSITIONS)
    model = bert(tok.get_vocab_size(), seed=2024, pooler=False)
    d = save_dir(name, model, tok, [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], {
        "1_Pooling/config.json": {"word_embedding_dimension": 32, "pooling_mode_cls_token": False,
                                  "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
                                  "pooling_mode_mean_sqrt_len_tokens": False},
        "config_sentence_transformers.json": {"prompts": {"query": "query: ", "passage": "passage: "},
                                              "default_prompt_name": None, "similarity_fn_name": "cosine"},
        "sentence_bert_config.json": {"max_seq_length": POSITIONS, "do_lower_case": False},
        "tokenizer_config.json": {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": POSITIONS,
                                  "pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
                                  "mask_token": "[MASK]"},
    })
    differs = compare_autotokenizer(d, tok, POSITIONS, TEST_SENTENCES)
    st = SentenceTransformer(d, device="cpu")
    max_head = torch.nn.Sequential(Pooling(32, pooling_mode="max"), Normalize())
    norm = torch.nn.functional.normalize
    out = []
    for s in TEST_SENTENCES:
        ids = tok.encode(s).ids
        feats = padded([ids])
        h = hidden_states(model, feats)
        m = feats["attention_mask"].unsqueeze(-1).to(h.dtype)
        mean = norm((h * m).sum(1) / torch.clamp(m.sum(1), min=1e-9), p=2, dim=1)[0]
        check_close(mean, st_forward(st, feats)[0], f"SentenceTransformer(dir) vs transformers on {s[:20]!r}")
        with torch.no_grad():
            mx = max_head({"token_embeddings": h, "attention_mask": feats["attention_mask"]})["sentence_embedding"][0]
        q = tok.encode("query: " + s).ids
        qf = padded([q])
        qh = hidden_states(model, qf)
        qm = qf["attention_mask"].unsqueeze(-1).to(qh.dtype)
        query = norm((qh * qm).sum(1) / qm.sum(1), p=2, dim=1)[0]
        out.append({"text": s, "ids": ids, "embedding": mean.tolist(), "query_embedding": query.tolist(), "max": mx.tolist()})
    # One padded batch must agree with the sentences alone (HF's own invariance).
    batch = st_forward(st, padded([o["ids"] for o in out]))
    check_close(batch, torch.tensor([o["embedding"] for o in out]), "padded batch")
    assert any(len(o["ids"]) == POSITIONS for o in out), "the long sentence must hit truncation"
    assert any(1 in o["ids"] for o in out), "some sentence must contain [UNK]"
    write_reference(name, POSITIONS, 32, differs, out)
    return d


def make_labse():
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Dense
    from sentence_transformers.sentence_transformer.modules import Pooling

    name = "tiny-labse"
    max_seq = 48
    tok = train_wordpiece(lowercase=False)
    tok.enable_truncation(max_seq)
    model = bert(tok.get_vocab_size(), seed=4242, pooler=True)
    d = save_dir(name, model, tok, [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
        {"idx": 3, "name": "3", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], {
        "sentence_bert_config.json": {"max_seq_length": max_seq, "do_lower_case": False},
        "tokenizer_config.json": {"tokenizer_class": "BertTokenizer", "do_lower_case": False, "model_max_length": 512,
                                  "pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
                                  "mask_token": "[MASK]"},
    })
    # The modules save themselves, so their folders are exactly what sentence-transformers writes and reads.
    for folder in ["1_Pooling", "2_Dense", "3_Normalize"]:
        os.makedirs(os.path.join(d, folder), exist_ok=True)
    Pooling(32, pooling_mode="cls").save(os.path.join(d, "1_Pooling"))
    dense = Dense(32, 32, bias=True, activation_function=torch.nn.Tanh())
    with torch.no_grad():
        g = torch.Generator().manual_seed(7)
        dense.linear.weight.copy_(0.3 * torch.randn(dense.linear.weight.shape, generator=g))
        dense.linear.bias.copy_(0.3 * torch.randn(dense.linear.bias.shape, generator=g))
    dense.save(os.path.join(d, "2_Dense"), safe_serialization=True)
    assert os.path.exists(os.path.join(d, "2_Dense", "model.safetensors"))
    differs = compare_autotokenizer(d, tok, max_seq, TEST_SENTENCES)
    st = SentenceTransformer(d, device="cpu")
    assert [type(m).__name__ for m in st] == ["Transformer", "Pooling", "Dense", "Normalize"], list(st)
    w, b = dense.linear.weight.detach(), dense.linear.bias.detach()
    out = []
    for s in TEST_SENTENCES:
        ids = tok.encode(s).ids
        feats = padded([ids])
        emb = st_forward(st, feats)[0]
        by_hand = torch.nn.functional.normalize(torch.tanh(hidden_states(model, feats)[0, 0] @ w.T + b), dim=0)
        check_close(emb, by_hand, f"SentenceTransformer(dir) vs by hand on {s[:20]!r}")
        out.append({"text": s, "ids": ids, "embedding": emb.tolist()})
    batch = st_forward(st, padded([o["ids"] for o in out]))
    check_close(batch, torch.tensor([o["embedding"] for o in out]), "padded batch")
    assert any(len(o["ids"]) == max_seq for o in out), "the long sentence must hit max_seq_length"
    write_reference(name, max_seq, 32, differs, out)
    return d


def main():
    torch.manual_seed(0)
    for d in [make_wordpiece(), make_labse()]:
        size = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(d) for fn in fns)
        print(f"{os.path.basename(d)}: {size} bytes", file=sys.stderr)
        assert size < 300_000, "keep fixtures small"


if __name__ == "__main__":
    main()
