"""Documents in any language: each document's language, a question placed among the index's
languages, an analyzer per language (stemmer, stop words, CJK pairs), CJK sentences and
passages, the language filter and the citation's language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.chunks import ChunkSettings, split_document, split_sentences, word_count
from qa.documents import Document
from qa.languages import document_language, question_languages
from qa.lexical import LexicalIndex, new_tokenizer

DE = (
    "Helm ist ein Paketmanager für Kubernetes. Mit Helm lassen sich Anwendungen installieren, "
    "aktualisieren und wieder entfernen. Die Größe eines Charts spielt dabei keine Rolle."
)
RU = (
    "Helm — это менеджер пакетов для Kubernetes. С его помощью можно устанавливать, "
    "обновлять и удалять приложения в кластере. Чарты хранятся в репозиториях."
)
ZH = (
    "Helm 是 Kubernetes 的包管理器。它可以帮助你安装、升级和删除集群中的应用程序。"
    "图表保存在仓库中。"
)
JA = (
    "Helm は Kubernetes のパッケージマネージャーです。"
    "アプリケーションのインストールや更新ができます。"
)
EN = (
    "Helm is the package manager for Kubernetes. It installs, upgrades and removes the "
    "applications of a cluster, and charts are kept in repositories."
)


def test_each_document_is_given_its_language():
    assert [document_language(t) for t in (DE, RU, ZH, JA, EN)] == ["de", "ru", "zh", "ja", "en"]
    assert document_language("```\nhelm install x\n```\nok") == ""  # too little prose


def test_plain_english_needs_no_model(monkeypatch):
    import qa.languages

    monkeypatch.setattr(qa.languages, "_identifier", lambda: pytest.fail("model loaded"))
    assert document_language(EN) == "en"


def test_a_question_is_placed_among_the_index_languages():
    tokenizer = new_tokenizer()
    tokenizer.languages = ["de", "en", "es", "fr", "ja", "ko", "ru", "uk", "zh"]
    ask = tokenizer.question_languages
    assert ask("Wie installiere ich ein Chart mit Helm?") == ["de"]
    assert ask("¿Cómo instalo un chart con Helm?") == ["es"]
    assert ask("How do I install a chart with Helm?") == ["en"]
    assert ask("Как установить чарт?") == ["ru", "uk"]  # no letter tells them apart: both
    assert ask("Чи можна видалити історію релізу?") == ["uk"]
    assert ask("如何安装图表？") == ["zh"] and ask("チャートをインストールするには？") == ["ja"]
    assert ask("차트를 설치하려면?") == ["ko"]
    assert question_languages("Wie geht das?", ["en"], {}) == ["en"]  # an English index


def test_each_language_is_stemmed_as_itself_and_cjk_read_in_pairs():
    tokenize = new_tokenizer()
    assert {"gross", "chart"} <= set(tokenize.in_language("Die Größe des Charts", "de"))
    assert {"установк", "чарт"} <= set(tokenize.in_language("Установка чартов", "ru"))
    assert {"安装", "图表"} <= set(tokenize.in_language("如何安装图表", "zh"))
    assert "как" not in tokenize.in_language("как установить", "ru")  # a stop word


def test_a_question_finds_the_passage_in_its_language():
    index = LexicalIndex.build([(DE, "de"), (RU, "ru"), (ZH, "zh"), (EN, "en")])
    for question, row in (
        ("Wie entfernt man Anwendungen?", 0),
        ("Где хранятся чарты?", 1),
        ("图表保存在哪里？", 2),
        ("Where are charts kept?", 3),
    ):
        assert int(index.scores(question).argmax()) == row, question


def test_chinese_and_japanese_sentences_and_passages():
    assert [ZH[a:b] for a, b in split_sentences(ZH)][:2] == [
        "Helm 是 Kubernetes 的包管理器。",
        "它可以帮助你安装、升级和删除集群中的应用程序。",
    ]
    assert word_count("安装图表") == 2 and word_count("install the chart") == 3
    long = Document("a.md", "这是一个用来测试中文分块的句子" * 60 + "。", "t", None, "x", lang="zh")
    chunks = split_document(long, ChunkSettings())
    assert len(chunks) > 3 and all(word_count(c.text) <= 100 for c in chunks)
    assert all(c.lang == "zh" for c in chunks)


@pytest.mark.model
def test_language_in_json_filter_and_question(tmp_path: Path):
    from tests.conftest import run

    docs, ix = tmp_path / "docs", tmp_path / "ix"
    for lang, text in (("de", DE), ("ru", RU), ("zh", ZH), ("en", EN)):
        (docs / lang).mkdir(parents=True)
        (docs / lang / "intro.md").write_text(f"# Helm\n\n{text}\n", encoding="utf-8")
    assert run("index", str(docs), "--index", str(ix)).exit_code == 0

    def top(*args: str) -> dict:
        got = run("ask", *args, "--index", str(ix), "--json", "--no-refresh")
        assert got.exit_code == 0, got.output
        return json.loads(got.stdout)["passages"][0]["citation"]

    assert top("Где хранятся чарты?")["lang"] == "ru"
    assert top("图表保存在哪里？")["path"] == "zh/intro.md"
    assert top("Where are charts kept?", "--lang", "de")["lang"] == "de"
    assert top("Where are charts kept? lang:ru")["lang"] == "ru"
    bad = run("ask", "Where?", "--index", str(ix), "--lang", "german")
    assert bad.exit_code == 2 and "is not a language" in bad.stderr


def test_english_with_typographic_quotes_and_a_cafe_needs_no_model(monkeypatch):
    import qa.languages

    monkeypatch.setattr(qa.languages, "_identifier", lambda: pytest.fail("model loaded"))
    text = EN.replace("Helm is", "“Helm” is") + " It was written in a café — by the team’s own."
    assert document_language(text * 3) == "en"
