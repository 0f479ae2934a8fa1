#!/usr/bin/env bash
# Downloads the public evaluation data into ./data/ (or the folder given as $1), in the layout of the shared
# data folder that the tests and `data_paths` expect: xquad-r/, mlqa-r/, xquad/, beir-scifact/,
# miracl-topics-qrels/, mrtydi-topics-qrels/.
#
# UNTESTED HERE: it was written on a machine without internet access, so no URL below has been fetched by this
# script. Every file that upstream publishes byte-for-byte is checked against the SHA-256 of the copy the
# tests were run on; a failed download or a checksum mismatch stops the script with a non-zero exit.
# Files that already exist are skipped (but still checksum-verified). Data is never committed (/data/ is ignored).
#
# Sources (see each SOURCE.md of the shared data folder):
# - XQuAD-R, MLQA-R: github.com/google-research-datasets/lareqa. MLQA-R was removed upstream on 2020-04-28 and
#   is fetched from commit 354d67d (CC BY-NC 4.0: non-commercial research use only).
# - XQuAD: github.com/google-deepmind/xquad (CC BY-SA 4.0).
# - BEIR SciFact: the BEIR public zip (corpus, queries, qrels); anserini-tools' SciFact topics/qrels alongside.
#   Its queries.jsonl holds all SciFact claims, not only the 300 test ones; the tests allow for that.
# - MIRACL v1.0 dev, Mr.TyDi v1.1 dev/test topics + qrels: github.com/castorini/anserini-tools. The passage
#   corpora (GBs, Hugging Face) are not fetched; supply them as BEIR-style corpus.jsonl.
#
# Needs: bash, curl, sha256sum, gzip, and unzip or python3.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST="${1:-data}"

LAREQA=https://raw.githubusercontent.com/google-research-datasets/lareqa
LAREQA_HEAD=9bc8c7fb6dd8d01d72a05a93c2cb96882b0d299c
LAREQA_MLQA=354d67d1cd066854cdfbf5ad0e6105528976141d
XQUAD=https://raw.githubusercontent.com/google-deepmind/xquad/60cac411649156efb6aab9dd4c9cde787a2c0345
TOOLS=https://raw.githubusercontent.com/castorini/anserini-tools/5b819c1a45c8a0a3ec9426f476694f44a29dfaf3
BEIR_SCIFACT=https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets/scifact.zip

XQUAD_R_LANGS=(ar de el en es hi ru th tr vi zh)
MLQA_R_LANGS=(ar de en es hi vi zh)
XQUAD_LANGS=(ar de el en es hi ro ru th tr vi zh)
MIRACL_LANGS=(ar bn de en es fa fi fr hi id ja ko ru sw te th yo zh)
MRTYDI_LANGS=(ar bn en fi id ja ko ru sw te th)

say() { printf '[fetch-data] %s\n' "$*"; }
die() { printf '[fetch-data] ERROR: %s\n' "$*" >&2; exit 1; }

command -v curl >/dev/null || die "curl is required"
command -v sha256sum >/dev/null || die "sha256sum is required"

# fetch URL PATH: downloads to DEST/PATH unless it exists; a partial download never takes the final name.
fetch() {
  local url=$1 out="$DEST/$2"
  if [ -s "$out" ]; then
    say "have $2"
    return
  fi
  mkdir -p "$(dirname "$out")"
  say "get  $2"
  curl -fL --retry 3 --retry-delay 2 --silent --show-error -o "$out.part" "$url" || {
    rm -f "$out.part"
    die "download failed: $url"
  }
  mv "$out.part" "$out"
}

for lang in "${XQUAD_R_LANGS[@]}"; do fetch "$LAREQA/$LAREQA_HEAD/xquad-r/$lang.json" "xquad-r/$lang.json"; done
fetch "$LAREQA/$LAREQA_HEAD/LICENSE" "xquad-r/LICENSE"

for lang in "${MLQA_R_LANGS[@]}"; do fetch "$LAREQA/$LAREQA_MLQA/mlqa-r/$lang.json" "mlqa-r/$lang.json"; done
fetch "$LAREQA/$LAREQA_MLQA/mlqa-r/LICENSE" "mlqa-r/LICENSE"

for lang in "${XQUAD_LANGS[@]}"; do fetch "$XQUAD/xquad.$lang.json" "xquad/xquad.$lang.json"; done
# XQuAD is CC BY-SA 4.0: the same license text LAReQA ships (identical checksum below).
[ -s "$DEST/xquad/CC-BY-SA4.0.txt" ] || cp "$DEST/xquad-r/LICENSE" "$DEST/xquad/CC-BY-SA4.0.txt"

for lang in "${MIRACL_LANGS[@]}"; do
  fetch "$TOOLS/topics/topics.miracl-v1.0-$lang-dev.tsv" "miracl-topics-qrels/topics.miracl-v1.0-$lang-dev.tsv"
  fetch "$TOOLS/qrels/qrels.miracl-v1.0-$lang-dev.tsv" "miracl-topics-qrels/qrels.miracl-v1.0-$lang-dev.tsv"
done

for lang in "${MRTYDI_LANGS[@]}"; do
  for split in dev test; do
    fetch "$TOOLS/topics/topics.mrtydi-v1.1-$lang.$split.txt.gz" "mrtydi-topics-qrels/topics.mrtydi-v1.1-$lang.$split.txt.gz"
    fetch "$TOOLS/qrels/qrels.mrtydi-v1.1-$lang.$split.txt" "mrtydi-topics-qrels/qrels.mrtydi-v1.1-$lang.$split.txt"
  done
done

fetch "$TOOLS/topics/topics.beir-v1.0.0-scifact.test.tsv.gz" "beir-scifact/topics.beir-v1.0.0-scifact.test.tsv.gz"
fetch "$TOOLS/qrels/qrels.beir-v1.0.0-scifact.test.txt" "beir-scifact/qrels.beir-v1.0.0-scifact.test.txt"

# SciFact in BEIR layout, from BEIR's own zip: corpus.jsonl.gz, queries.jsonl, qrels/{train,test}.tsv.
SCIFACT="$DEST/beir-scifact"
if [ -s "$SCIFACT/corpus.jsonl.gz" ] && [ -s "$SCIFACT/queries.jsonl" ] && [ -s "$SCIFACT/qrels/test.tsv" ]; then
  say "have beir-scifact (BEIR layout)"
else
  fetch "$BEIR_SCIFACT" "downloads/scifact.zip"
  unpacked="$DEST/downloads/scifact"
  rm -rf "$unpacked"
  mkdir -p "$unpacked"
  if command -v unzip >/dev/null; then
    unzip -q "$DEST/downloads/scifact.zip" -d "$unpacked" || die "cannot unzip scifact.zip"
  elif command -v python3 >/dev/null; then
    python3 -m zipfile -e "$DEST/downloads/scifact.zip" "$unpacked" || die "cannot unzip scifact.zip"
  else
    die "unzip or python3 is needed to unpack scifact.zip"
  fi
  src="$unpacked/scifact"
  for f in corpus.jsonl queries.jsonl qrels/test.tsv; do
    [ -s "$src/$f" ] || die "scifact.zip has no scifact/$f"
  done
  mkdir -p "$SCIFACT/qrels"
  gzip -n -c "$src/corpus.jsonl" > "$SCIFACT/corpus.jsonl.gz.part" && mv "$SCIFACT/corpus.jsonl.gz.part" "$SCIFACT/corpus.jsonl.gz"
  cp "$src/queries.jsonl" "$SCIFACT/queries.jsonl"
  cp "$src"/qrels/*.tsv "$SCIFACT/qrels/"
  rm -rf "$unpacked"
  say "unpacked beir-scifact"
fi

# Byte-identical upstream files: SHA-256 of the copies the tests were run on.
say "verifying checksums"
(cd "$DEST" && sha256sum --check --quiet --strict) <<'CHECKSUMS' || die "checksum mismatch (see above): delete the file and run again"
8b7315286f8dc823956025a1fc9c9ff0bfe142d7b409458ccd758cfa0713ccba  beir-scifact/qrels.beir-v1.0.0-scifact.test.txt
a624d39fa2a41da44b0148ac2b1c2cb9856ece2c4afbb6ac9360e8e524d66b4f  beir-scifact/topics.beir-v1.0.0-scifact.test.tsv.gz
3670a7804dedd5a602dad0661f6adb1e65b197829d5571f428e0af7fc46aa313  miracl-topics-qrels/qrels.miracl-v1.0-ar-dev.tsv
0aab3bcb0bbc5d3e5ed1566a9e3965800239438b5b5f68d5b6bb4acb7f0fec0e  miracl-topics-qrels/qrels.miracl-v1.0-bn-dev.tsv
5d4a0d7ac42c7839a0513ba6deb6b27fc62803f318be8a7c411e10dbbde7578c  miracl-topics-qrels/qrels.miracl-v1.0-de-dev.tsv
a0af836c300e85088c4d73449492e2378280f967cac032853c9e11f3bc8a8d81  miracl-topics-qrels/qrels.miracl-v1.0-en-dev.tsv
2d9441de1e25d7d2faf54f757db618ad5a2927337862a367f1a60e87ef7e40b2  miracl-topics-qrels/qrels.miracl-v1.0-es-dev.tsv
3cec8ea8fb1f056110e5282df3aa37e14fb5f44c6f885528b6072c0243c1efc4  miracl-topics-qrels/qrels.miracl-v1.0-fa-dev.tsv
4e534e96878729bd2566233d7499c991463052d91d34738dfe84d79f110255cd  miracl-topics-qrels/qrels.miracl-v1.0-fi-dev.tsv
823e8f6fd297064d67efe37991cd3953414dc040c290f249b0895925f03509ad  miracl-topics-qrels/qrels.miracl-v1.0-fr-dev.tsv
4cec99e7012ffca7fd129eeea01f37984bb21702706a8398208e8fba1c14e963  miracl-topics-qrels/qrels.miracl-v1.0-hi-dev.tsv
6270863499b1be946be0883e8815b52ffb21e56181e9dc67596eaeb61494a61c  miracl-topics-qrels/qrels.miracl-v1.0-id-dev.tsv
1e2a60ba96b889bd076adea950e7e83a2d083f671955a5ab3e9bdc332b492e5f  miracl-topics-qrels/qrels.miracl-v1.0-ja-dev.tsv
88827ccc5b64e531b25f70eef30202d33daa9bfa3ac8cceadf5cdbd5ca5034df  miracl-topics-qrels/qrels.miracl-v1.0-ko-dev.tsv
f877b43c7f53b76aab25e406e5a607ef1c5adba4ffaa11e1b252a4326735a19b  miracl-topics-qrels/qrels.miracl-v1.0-ru-dev.tsv
a1e6438ac732dabd9a24fd5c8dfc0c64168aea81ff477d8b1986fde5ad193a63  miracl-topics-qrels/qrels.miracl-v1.0-sw-dev.tsv
576a7ded402697a7bb521b4b8bb1a27806b927556001450405d3a5b85590a0c9  miracl-topics-qrels/qrels.miracl-v1.0-te-dev.tsv
81097e891775f67a9b98d41309f9c452dc4e09572b0cbf4952d4107ed0fe1407  miracl-topics-qrels/qrels.miracl-v1.0-th-dev.tsv
39a219ef0b593f6056e4ad1d65b9c03345730efa5107f0abd4a4a44ef2f6f0d2  miracl-topics-qrels/qrels.miracl-v1.0-yo-dev.tsv
5546474d3dc8139014e6571e9f4041848bb0a314ca6d2d4bac708174d71c59eb  miracl-topics-qrels/qrels.miracl-v1.0-zh-dev.tsv
10b534b889ec46e23df478eee09410ef2880d90d419644dfed5d05d39b57ece0  miracl-topics-qrels/topics.miracl-v1.0-ar-dev.tsv
46fbf50f1f3972b6908543bad6b6dfc60a75eec80d54aae603efd884ba608d2f  miracl-topics-qrels/topics.miracl-v1.0-bn-dev.tsv
6b66ec2cfb4af383e6fe18a08899bfa3a0deeb5e6010758743fa93ab598321c9  miracl-topics-qrels/topics.miracl-v1.0-de-dev.tsv
25d9e6d17656674fd7aa3b67ee912c71545e664a842b147bfc17e9ff391db3da  miracl-topics-qrels/topics.miracl-v1.0-en-dev.tsv
5e93b5a1cea22a44912e6ad242147c58719dd8ce4bb6304264a53876b70e65ac  miracl-topics-qrels/topics.miracl-v1.0-es-dev.tsv
df0ece36ab8048f765aa0bb2dde948f5c764cc25bdfc09fb1f5317ef24ff8b49  miracl-topics-qrels/topics.miracl-v1.0-fa-dev.tsv
71766986e9bef80118d60b989bdbd3ed965a845db6986847cbfd791fa00990b3  miracl-topics-qrels/topics.miracl-v1.0-fi-dev.tsv
dd471f3a0a594d212b30495f8b1d9759451aea399b44e02de6ca9c5550930106  miracl-topics-qrels/topics.miracl-v1.0-fr-dev.tsv
94bed8e649806246f59edfb6434ea0c59920a44f2f60a56e01d205c6bf58ef60  miracl-topics-qrels/topics.miracl-v1.0-hi-dev.tsv
c5d9d5de2913beeb003ee0ef63e4537c2f632940ed077bfb2e9e8a3b5943096d  miracl-topics-qrels/topics.miracl-v1.0-id-dev.tsv
1904b9bf0fc52e1b684daa7539b2bcfdd90122e603ffbcf6b5065a0e210525b0  miracl-topics-qrels/topics.miracl-v1.0-ja-dev.tsv
a365552cfc997a8915e948a3b5994883f641e7c3f12b6af87bbfaf89729e32a8  miracl-topics-qrels/topics.miracl-v1.0-ko-dev.tsv
91a7c3b6d21f79a12b5330f0a62811962f9370a0bf539cba8b3fecaa095f0616  miracl-topics-qrels/topics.miracl-v1.0-ru-dev.tsv
15cde3f614cb75b3106fb4606a16162140ee157da22c4a57aae756571788b722  miracl-topics-qrels/topics.miracl-v1.0-sw-dev.tsv
3ac8a9a20bdf93ffcc36d554a5fff76ec4435131ae995010814df5881fff07d6  miracl-topics-qrels/topics.miracl-v1.0-te-dev.tsv
6ef23316d1224d9fef9e3f8bc2fdf527dad1a3bba98657617398c226503f5a46  miracl-topics-qrels/topics.miracl-v1.0-th-dev.tsv
b24558e43e1965d5cfe7440a5bf3bf66d70529474ff76e64bfa72026129b2d2e  miracl-topics-qrels/topics.miracl-v1.0-yo-dev.tsv
5b284a9aabf08bb2d1c88ed7ea276025c9d23846457c5350dc8d391b5e0d0a13  miracl-topics-qrels/topics.miracl-v1.0-zh-dev.tsv
336255dc30193e8e15d689d9481bb05673d89055718f3a96923a7ffb99adbbaf  mlqa-r/LICENSE
2132fbc03208535c0fe01f2e2c5121d06f9c2aa799af93b0a719dbc105bdf137  mlqa-r/ar.json
ce9454dc5aa6f2d85c23cd6e49cb367fbb7c4c6e62d7f71e355c6b5dae4d0886  mlqa-r/de.json
fedd9a5cc0848dda80caf84aa36f482adaae230526a3f6e9e86926a93ef3b1e4  mlqa-r/en.json
70ecba276b8c96a692b120693a595d076ce94ad21d4b28311538a9fcbfe0f9d7  mlqa-r/es.json
4dd0fb3c06f737a5481d705bc1dcac7876712a5815c9265908fbb3a0696cb654  mlqa-r/hi.json
9d3baff6ba03e6793b25594217265ea59a136b9733833dca8a9582a84a78ff85  mlqa-r/vi.json
57f01d2fff50cf3392805635b01445339f225ad5bf28ba8443b12f8dbd1e69dc  mlqa-r/zh.json
f18081b8d6b43341137cdf37a0b9221aaddba7eeb4c4f04404a0d0a80696b3b4  mrtydi-topics-qrels/qrels.mrtydi-v1.1-ar.dev.txt
1a823d43f950dc7ae623e0bcfa77c927287023ce40bbb1fb28f1e1ddd01ca66f  mrtydi-topics-qrels/qrels.mrtydi-v1.1-ar.test.txt
b245bb4fbfc8d353214a073583a905358d1c045dfe0fe091c05e69597702f7c1  mrtydi-topics-qrels/qrels.mrtydi-v1.1-bn.dev.txt
c6d847305cf53c7c759185e04fb32384ca3b428ec245d6bffa2983ecef2c4df4  mrtydi-topics-qrels/qrels.mrtydi-v1.1-bn.test.txt
afc022ad3a6826355cb2f70861baa3ba1fede88bf75c61f156a9f7e8a743fb6b  mrtydi-topics-qrels/qrels.mrtydi-v1.1-en.dev.txt
8c89e495d402245237c56c7456c6a0e6939aa0493266c67d4a2dbec215c2878e  mrtydi-topics-qrels/qrels.mrtydi-v1.1-en.test.txt
07cbd0def8b22a9ed7668336b2ca0c1a245d5a9f61f25010efcd8eb5beeb78e3  mrtydi-topics-qrels/qrels.mrtydi-v1.1-fi.dev.txt
c662d6721428793c7636f39eadaac4f6cfa996dc1631683a7fe91756c67c46bf  mrtydi-topics-qrels/qrels.mrtydi-v1.1-fi.test.txt
d704d51af4d746cf00324bdb33e199ac12b5e9cc4cd595b4c470e817c1eb2b28  mrtydi-topics-qrels/qrels.mrtydi-v1.1-id.dev.txt
bf9751e7912ed6da2277c46ffcdde00ed32115aaa27c27923695a98d2edd8026  mrtydi-topics-qrels/qrels.mrtydi-v1.1-id.test.txt
aae5960c47cb8a76b48082e4604b16c6491913c54893b07bc8537b2510e4ebab  mrtydi-topics-qrels/qrels.mrtydi-v1.1-ja.dev.txt
669c6e24df07d6dc65cbe1a53de45a58eee1438e367c957e7dab2c9ef1d6a663  mrtydi-topics-qrels/qrels.mrtydi-v1.1-ja.test.txt
681087bf00f0a0958e47dd7eda5de2b28a07add8c5a8ec734a88136236cac534  mrtydi-topics-qrels/qrels.mrtydi-v1.1-ko.dev.txt
43df1058773d7a89c491c6307c7acd76d399b4ff8ecdced5888c9c8b947b5c3d  mrtydi-topics-qrels/qrels.mrtydi-v1.1-ko.test.txt
fba1fbc2cbb176ce60556c02c20bf13bc3ab893bff63c08bb87cfd5b3329d5d0  mrtydi-topics-qrels/qrels.mrtydi-v1.1-ru.dev.txt
03a3b145296c120551282c4f6c14b0342bcc863d2f1e92ff212b041db697e803  mrtydi-topics-qrels/qrels.mrtydi-v1.1-ru.test.txt
37d52885b464c56b3724f250f11db4d9eb7e013f6f066e9a15b44af526612dfe  mrtydi-topics-qrels/qrels.mrtydi-v1.1-sw.dev.txt
4ab598c12e121244b6f262e9fa4353d844fe3cc77a77a9e4c1dfff72b2f9700a  mrtydi-topics-qrels/qrels.mrtydi-v1.1-sw.test.txt
464fa7cc9c56ee2a200f332c2b70b5ab56f3058fc1339eec23604b3b5b14c534  mrtydi-topics-qrels/qrels.mrtydi-v1.1-te.dev.txt
d1fbaa9b2d5fd20b00f4543bc9eb210fec61873e28684c813d19a411f32c53f2  mrtydi-topics-qrels/qrels.mrtydi-v1.1-te.test.txt
643360e427a91c33b12b946933c5757f676a831f0913248bd1810e1da32e5c1b  mrtydi-topics-qrels/qrels.mrtydi-v1.1-th.dev.txt
4e0dcf81c374fe079b6cded5a8f361d7045abd1114b819ee89527f3e389d7f71  mrtydi-topics-qrels/qrels.mrtydi-v1.1-th.test.txt
38efd6dfc9190ca8907db57a48df5e66bd39cc8686c83586f75353ae9abfe0ac  mrtydi-topics-qrels/topics.mrtydi-v1.1-ar.dev.txt.gz
8ee5190abd95d639640c25e260e32c6aa670b5d3e277774ac6d0bab1085b0dd9  mrtydi-topics-qrels/topics.mrtydi-v1.1-ar.test.txt.gz
367030f3289f78cedaff6f038a6dc91a1b2a87d0b566b9583f9c047c7cc9d987  mrtydi-topics-qrels/topics.mrtydi-v1.1-bn.dev.txt.gz
cffecc222b7d0f4468d03581a86e0dc92e1a9d3f2bae8e90731d241b74d2b5ee  mrtydi-topics-qrels/topics.mrtydi-v1.1-bn.test.txt.gz
e729f69223904c35cce7b9c149506a16e942d12aae782ab8369de65200fa25c3  mrtydi-topics-qrels/topics.mrtydi-v1.1-en.dev.txt.gz
e0683e348a59f84df03f3574695037359ed92b39a1d5264e55cd9cd05f72bc43  mrtydi-topics-qrels/topics.mrtydi-v1.1-en.test.txt.gz
0f89ae6d70fe650206d8d77a229ecb7902d365404cf28822b87db742a8314574  mrtydi-topics-qrels/topics.mrtydi-v1.1-fi.dev.txt.gz
22cc14ea12360d42546cf38c4f0770e00ae031e923bc45fcd01bce6549827a95  mrtydi-topics-qrels/topics.mrtydi-v1.1-fi.test.txt.gz
2338cb661870930646151bc239bcfa038255d0f64e99110077e928f61781d5f5  mrtydi-topics-qrels/topics.mrtydi-v1.1-id.dev.txt.gz
792737227ab80ed1ae878939e1f73002155425cc3efa31fb70adc08e0f749d98  mrtydi-topics-qrels/topics.mrtydi-v1.1-id.test.txt.gz
18c016ebb56fa3203be1c97cd8764eb243b032ec6a23f7998df3b5934771fd4c  mrtydi-topics-qrels/topics.mrtydi-v1.1-ja.dev.txt.gz
014f75de7cd804b429598eb97fcb19b76dbcad02e2f9014a7ea73b757ac120d9  mrtydi-topics-qrels/topics.mrtydi-v1.1-ja.test.txt.gz
8fd2e0b888bdd2678b6491e5c1129c60ab5e1cf0e488933ebcca41acce7c929d  mrtydi-topics-qrels/topics.mrtydi-v1.1-ko.dev.txt.gz
09d85348d4f057bb2aaa5f6c282139a1569319dc5c7e1b740e008a56b25304a3  mrtydi-topics-qrels/topics.mrtydi-v1.1-ko.test.txt.gz
60c5bd41098826ee9ab38c2125289486a9738ce20ef4205997de77243a48c941  mrtydi-topics-qrels/topics.mrtydi-v1.1-ru.dev.txt.gz
cb5c7f7f0ef959ea690089d25228a1aec567d1f617b4c196cd917fafad664221  mrtydi-topics-qrels/topics.mrtydi-v1.1-ru.test.txt.gz
51cceb55134fd1e16ee43437c3cfe116b34c432cb0ec9cad057244eb5243b3a2  mrtydi-topics-qrels/topics.mrtydi-v1.1-sw.dev.txt.gz
6176644354d4e28c43ea574ac8744188157e748edcef9c68c637c7e13be37b4c  mrtydi-topics-qrels/topics.mrtydi-v1.1-sw.test.txt.gz
cbf4b3bfeae4d2d42864c1be943edfdb384ca9a647aed563c71d523bb5f735bc  mrtydi-topics-qrels/topics.mrtydi-v1.1-te.dev.txt.gz
09490f1b980b0b891a4e09c2364e16f9955e5892d85b5c4154ef6ba329fde931  mrtydi-topics-qrels/topics.mrtydi-v1.1-te.test.txt.gz
2f17e3d9a7ceb4ee7899c56ae7cf7471f3d81336def3437cbfaa8609bae1d915  mrtydi-topics-qrels/topics.mrtydi-v1.1-th.dev.txt.gz
a8e464eec3b4e0cb408736e89650aa44d1f042e408d567a8b1d8ca87974dc515  mrtydi-topics-qrels/topics.mrtydi-v1.1-th.test.txt.gz
25ddafc153e4cfdafd70729574ef1b44348e1814709e57680d55347038d3f92c  xquad-r/LICENSE
c52922d3b8ac1ae03ed5ac38647ad59870dca3dda2beefe18ecdc30729acb69d  xquad-r/ar.json
16fb0f4bf4916154b585a20c24c66074591c9718a1affe764ff4697572328949  xquad-r/de.json
163fd43ee785a30eb534ae2061e9eaa766a7ee4e8ffce5e4b422480c150f64b6  xquad-r/el.json
7b0954f39297c27a31fef610f0883337dd2907fa8699151dc922afdd0fa12ffe  xquad-r/en.json
f8e836b2d91009c4363e04315f7ede363eedbbb49c67dda60de6c4aa782f58de  xquad-r/es.json
ea45ba8ae4513d1533b222bebdc02a90bc319c055d3aeea68584a053d2e92872  xquad-r/hi.json
7f4dff853538b9a5fcc28c070b8bb983a5c5d190ac747b8e005a1ada9cab18f1  xquad-r/ru.json
c3a041864c3a9fb0b4dd91cfdf99cf36b411b3e704c58a303c97bc6dc786cfe4  xquad-r/th.json
f3e8c13002bbce154a4578f535f7533cb70f3da08840e6b62735935baec7bd94  xquad-r/tr.json
e35926bf5cc6fc6ecbdfca49467aabeb454f08d152d7818143a906bd31dde995  xquad-r/vi.json
80c2cde7b9c2fb134c303cbb52f2ba396ead9eb0014aec43993543d2ba9e93ed  xquad-r/zh.json
25ddafc153e4cfdafd70729574ef1b44348e1814709e57680d55347038d3f92c  xquad/CC-BY-SA4.0.txt
abdabd7afed5c635d99cca0f3f0d0c9d9ed0bc77451e963c2e4e0638c29e486d  xquad/xquad.ar.json
990b5d746746ed65ed4702ea5f35f99ffa4e2f1c390c07d003642acd937916f9  xquad/xquad.de.json
821cf0f88e73fa258fd2f548b19b6ec39f7025059e16f6f9fc8cd797c9c3663e  xquad/xquad.el.json
e4c57d1c9143aaa1c5d265ba5987a65f4e69528d2a98f29d6e75019b10344f29  xquad/xquad.en.json
dcbae93ec3a9f4b9e78fd834a171d6f96c1a875e10e15b7530b7e4ef4971e37e  xquad/xquad.es.json
df2cce3532b37e9beb8979704b5c9a4bf874358f105395a298b89427b43b9d24  xquad/xquad.hi.json
94f8d54e93ad2b7dd2e76dd921a666b5b8eff2d4379df9f179c42b445f09643f  xquad/xquad.ro.json
208d5b1aa154c52b1b5c5eda16281e455e8fd198cdb9af3f469f0d6037d973bf  xquad/xquad.ru.json
5cdda11d0e1e075f7872abf4e6ae830388ce7f617964d542308e9ae4257e0f43  xquad/xquad.th.json
92179a564774b7696100d144c1e10870d0a966b6fccbdd254a65b9d2ab1971cc  xquad/xquad.tr.json
f619a1eb11fb42d3ab0834259e488a65f585447ef6154437bfb7199d85161a04  xquad/xquad.vi.json
691d0b3359bc6b8faa8de931dfdfe21d50a65861ae348e32a0d1a0190b0c8835  xquad/xquad.zh.json
CHECKSUMS
say "done: $DEST (point LINGBRIDGE_DATA at it if it is not ./data)"
