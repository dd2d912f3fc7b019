"""Follow-up questions without an LLM: context from earlier turns, clean topic changes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa.cli import cli
from qa.conversation import Conversation, new_subject, refers_back
from tests.conftest import DATA, read_jsonl


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who invited him?", True),
        ("Which round was it?", True),
        ("And what about Syria?", True),
        ("When was it founded?", True),
        ("What is the capital of Australia?", False),
        ("When did Lavrov plan to visit Japan?", False),
        ("Who co-chairs the Council of Wise Men?", False),
    ],
)
def test_refers_back(question: str, expected: bool):
    assert refers_back(question) is expected


def test_follow_up_leans_on_the_last_stand_alone_question():
    c = Conversation()
    c.add("When did Lavrov plan to visit Japan?")
    assert c.search_text("Who invited him?") == (
        "Who invited him? When did Lavrov plan to visit Japan?"
    )
    c.add("Who invited him?")
    assert c.search_text("And when was that?").endswith("When did Lavrov plan to visit Japan?")


def test_a_follow_up_is_about_the_document_of_the_answer_before_it():
    from qa.conversation import Turn

    c = Conversation()
    assert c.turn("How do I roll back a release?") == Turn("How do I roll back a release?", ())
    c.answered(["howto/rollback.md", "faq.md"])
    follow_up = c.turn("and how do I see its history first?")
    assert follow_up.documents == ("howto/rollback.md",)  # the best passage's file
    assert c.turn("How many does it keep by default?").documents == ("howto/rollback.md",)
    assert c.turn("And what about Kubernetes?").documents == ()  # X may be anywhere
    assert c.turn("Which Kubernetes versions does Helm support?").documents == ()  # new topic
    c.clear()
    assert c.documents == () and c.turn("and that?").documents == ()


@pytest.mark.model
def test_a_preferred_document_ranks_its_passages_higher(seed_workspace):
    from dataclasses import replace

    from qa.retrieve import Retriever

    plain = seed_workspace.retriever()
    question = "What did the ministers agree on?"
    ranked = plain.search(question, 10)
    other = next(p.chunk.path for p in ranked if p.chunk.path != ranked[0].chunk.path)
    strong = Retriever(plain.index, plain.encoder, replace(plain.settings, conversation_weight=1))
    preferred = strong.batch_search([question], 10, prefer=[(other,)])[0]
    assert preferred[0].chunk.path == other
    off = Retriever(plain.index, plain.encoder, replace(plain.settings, conversation_weight=0))
    assert off.batch_search([question], 10, prefer=[(other,)])[0][0].row == ranked[0].row


@pytest.mark.parametrize(
    ("topic", "follow_up", "searched"),
    [
        (
            "What did Lavrov say about the Korean Peninsula?",
            "And what about the Middle East?",
            "What did Lavrov say about the Middle East?",
        ),
        (
            "When was the University of Chicago established?",
            "what about Royal University of Warsaw",
            "When was Royal University of Warsaw established?",
        ),
        (
            "What is the boiling point of water?",
            "And how about ethanol?",
            "What is the boiling point of ethanol?",
        ),
        ("how does this work", "And what about caching?", "caching how does this work"),
    ],
)
def test_what_about_x_searches_x_in_place_of_the_earlier_subject(topic, follow_up, searched):
    c = Conversation()
    c.add(topic)
    assert new_subject(follow_up) is not None
    assert c.search_text(follow_up) == searched
    c.add(follow_up)
    assert c.topic == searched  # the next "And what about Y?" swaps Y for X


def test_what_about_a_pronoun_keeps_the_subject():
    c = Conversation()
    c.add("When did Lavrov plan to visit Japan?")
    assert new_subject("And what about him?") is None
    assert c.search_text("And what about him?") == (
        "And what about him? When did Lavrov plan to visit Japan?"
    )


@pytest.mark.model
def test_a_subject_change_in_the_seeds_finds_the_new_subject(seed_workspace):
    turns = [
        "What did Russia and Japan discuss about Syria?",
        "And what about the Korean Peninsula?",
    ]
    result = seed_workspace.ask(turns, conversation=Conversation())[-1]
    assert "Korean Peninsula" in result.passages[0].text
    assert "peninsula" in result.passages[0].answer.text.lower()


def test_a_new_topic_resets_the_context():
    c = Conversation()
    c.add("When did Lavrov plan to visit Japan?")
    c.add("Where is the counter-narcotics training centre?")
    assert c.topic == "Where is the counter-narcotics training centre?"
    assert "Lavrov" not in c.search_text("Who runs it?")
    c.clear()
    assert c.search_text("Who runs it?") == "Who runs it?"


@pytest.mark.model
def test_seed_conversations_right_on_their_last_turn(seed_workspace):
    for conv in read_jsonl(DATA / "seed-conversations.jsonl"):
        result = seed_workspace.ask(conv["turns"], conversation=Conversation())[-1]
        top = result.passages[0]
        assert top.citation.path.endswith(conv["source"]), conv["id"]
        assert any(a.lower() in top.text.lower() for a in conv["answers"]), conv["id"]


@pytest.mark.model
def test_the_follow_up_is_resolved_by_the_earlier_turn(tmp_path):
    from qa.workspace import Workspace

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "curie.txt").write_text(
        "Marie Curie travelled to Stockholm in 1911. She was invited by the Nobel committee."
    )
    (docs / "einstein.txt").write_text(
        "Albert Einstein moved to Berlin in 1914. He was invited by Max Planck."
    )
    ws = Workspace.resolve(docs, tmp_path / "ix")
    ws.build()
    for first, answer in (
        ("When did Albert Einstein move to Berlin?", "Planck"),
        ("When did Marie Curie travel to Stockholm?", "Nobel committee"),
    ):
        result = ws.ask([first, "Who invited him?"], conversation=Conversation())[-1]
        assert answer in result.passages[0].text


@pytest.mark.model
def test_stand_alone_seed_questions_unaffected_by_an_unrelated_turn(seed_workspace, seed_questions):
    standalone = [q for q in seed_questions if not q.get("unanswerable")]
    for q in standalone:
        alone = seed_workspace.ask([q["question"]])[0]
        after = seed_workspace.ask(
            ["What is the capital of Australia?", q["question"]], conversation=Conversation()
        )[-1]
        if not refers_back(q["question"]):
            assert after.passages[0].citation == alone.passages[0].citation, q["id"]
        else:  # "that year": context is added, the answer must still be found at rank 1
            assert any(a.lower() in after.passages[0].text.lower() for a in q["answers"]), q["id"]


@pytest.mark.model
def test_cli_conversation_from_stdin(seed_index):
    turns = "When did Lavrov plan to visit Japan?\nWho invited him?\n"
    result = CliRunner().invoke(
        cli,
        ["ask", "-", "--conversation", "--index", str(seed_index), "--json", "-k", "1"],
        input=turns,
    )
    assert result.exit_code == 0
    lines = [json.loads(x) for x in result.stdout.strip().splitlines()]
    assert [x["question"] for x in lines] == [
        "When did Lavrov plan to visit Japan?",
        "Who invited him?",
    ]
    assert "Machimura" in lines[1]["passages"][0]["text"]


@pytest.mark.model
def test_eval_scores_conversations_with_and_without_context(seed_index):
    path = str(DATA / "seed-conversations.jsonl")
    with_ctx = CliRunner().invoke(cli, ["eval", path, "--index", str(seed_index), "--json"])
    without = CliRunner().invoke(
        cli, ["eval", path, "--index", str(seed_index), "--json", "--no-context"]
    )
    assert json.loads(with_ctx.stdout)["acc@1"] == 1.0
    assert without.exit_code == 0 and json.loads(without.stdout)["questions"] == 2
