#!/usr/bin/env python3
"""Expected renderings of conversations with tools through real tool-aware chat templates, computed independently of
Parley with Python's jinja2 set up as Hugging Face transformers renders chat templates (the setup of the shared
chat-template oracle's README: ImmutableSandboxedEnvironment(trim_blocks, lstrip_blocks, loopcontrols),
raise_exception, a tojson that keeps non-ASCII, strftime_now on the fixed clock), with `tools` passed as
apply_chat_template(tools=...) passes them and tool-call arguments turned from OpenAI's JSON string into an object (as
vLLM does before rendering).

Run: python3 make_tool_renderings.py <shared>/oracle/templates > tool-renderings.json   (jinja2 3.1.6 was used)
The conversations are in tool-conversations.json beside this script (OpenAI's message shapes)."""
import datetime, json, os, sys
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import loopcontrols
from jinja2.exceptions import TemplateError

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
TEMPLATES = [  # (oracle file, bos, eos): every template of the oracle whose syntax Parley parses
    ("meta-llama-Llama-3.1-8B-Instruct-f15c05.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    ("meta-llama-Llama-3.2-3B-Instruct-548f07.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    ("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use-ae75f4.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    ("NousResearch-Hermes-3-Llama-3.1-8B-tool_use-ae75f4.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    ("mistralai-Mistral-Nemo-Instruct-2407-e81a5e.jinja", "<s>", "</s>"),
    ("Mistral-Large-Instruct-2407-08f8fb.jinja", "", "</s>"),
]


class RaisedByTemplate(Exception):
    pass


def raise_exception(message):
    raise RaisedByTemplate(message)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = lambda x, indent=None, separators=None, sort_keys=False: json.dumps(
        x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: NOW.strftime(fmt)
    return env


def template_messages(messages):
    out = []
    for m in messages:
        m = {k: v for k, v in m.items() if v is not None}
        if "tool_calls" in m:
            m["tool_calls"] = [{"id": c["id"], "type": "function",
                                "function": {"name": c["function"]["name"],
                                             "arguments": json.loads(c["function"]["arguments"])}}
                               for c in m["tool_calls"]]
        out.append(m)
    return out


def main(template_dir):
    here = os.path.dirname(os.path.abspath(__file__))
    spec = json.load(open(os.path.join(here, "tool-conversations.json"), encoding="utf-8"))
    env = environment()
    results = []
    for file, bos, eos in TEMPLATES:
        source = open(os.path.join(template_dir, file), encoding="utf-8").read()
        template = env.from_string(source)
        for name, conversation in spec["conversations"].items():
            context = dict(messages=template_messages(conversation), tools=spec["tools"], add_generation_prompt=True,
                           bos_token=bos, eos_token=eos)
            try:
                rendered = {"expected": template.render(**context)}
            except (RaisedByTemplate, TemplateError, TypeError) as e:
                rendered = {"expected_error": type(e).__name__ + ": " + str(e)}
            results.append(dict(file=file, bos_token=bos, eos_token=eos, conversation=name, **rendered))
    json.dump({"now": "2026-01-02T03:04:05Z", "jinja2": __import__("jinja2").__version__, "renders": results},
              sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
