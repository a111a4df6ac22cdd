"""Validates examples/ci: each CI definition parses as YAML and has the jobs its README
promises, and each of its shell steps that calls aigwc runs, as written, against a real
policy set (the steps that need git or a build are skipped).
Usage: run_ci.py EXAMPLE_DIR POLICY_DIR INPUTS WORK_DIR  (aigwc on the PATH)
Prints one line per failure and, last, "PASS n FAIL m"."""
import os, re, shutil, subprocess, sys
import yaml

ex, policies, inputs, work = sys.argv[1:5]
passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL ci: " + what)
    return cond


def load(path):
    try:
        with open(os.path.join(ex, path)) as f:
            return yaml.safe_load(f)
    except Exception as e:  # a parse error is the finding
        ok(False, "%s does not parse: %s" % (path, e))
        return None


def run(name, script, env):
    if "aigwc" not in script or "git " in script or "make " in script:
        return
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "repo", "recorded"))
    shutil.copytree(policies, os.path.join(work, "repo", "policies"))
    shutil.copytree(policies, os.path.join(work, "base", "policies"))
    shutil.copy(inputs, os.path.join(work, "repo", "recorded", "requests.jsonl"))
    r = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=os.path.join(work, "repo"),
                       env=env, capture_output=True, text=True)
    if not ok(r.returncode == 0, "%s: exit %d\n%s%s" % (name, r.returncode, r.stdout[-2000:], r.stderr[-2000:])):
        return
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary and "GITHUB_STEP_SUMMARY" in script:
        ok(os.path.getsize(summary) > 0, name + ": wrote no job summary")


# GitHub Actions
gh = load(".github/workflows/policies.yml")
if gh:
    on = gh.get("on", gh.get(True))     # YAML 1.1 reads a bare `on` as true
    ok(on and "pull_request" in on, "workflow: not run on pull requests")
    jobs = gh.get("jobs", {})
    ok(set(jobs) >= {"lint", "test", "audit", "diff"}, "workflow: jobs %s" % sorted(jobs))
    text = yaml.safe_dump(gh)
    ok("github/codeql-action/upload-sarif" in text, "workflow: no SARIF upload")
    ok("--format junit" in text, "workflow: no JUnit report")
    ok("GITHUB_STEP_SUMMARY" in text, "workflow: no job summary")
    ok("pull_request" in str(jobs.get("diff", {}).get("if", "")), "workflow: diff not limited to pull requests")
    summary = os.path.join(work + ".summary")
    open(summary, "w").close()
    env = dict(os.environ, POLICIES="policies", GITHUB_STEP_SUMMARY=summary)
    for jn, job in jobs.items():
        for i, step in enumerate(job.get("steps", [])):
            if "run" in step:
                run("workflow %s step %d" % (jn, i + 1), step["run"], env)
action = load(".github/actions/aigwc/action.yml")
if action:
    ok(action.get("runs", {}).get("using") == "composite", "action: not a composite action")

# Azure Pipelines: macros $(NAME) are replaced the way the agent does, before the shell
az = load("azure-pipelines.yml")
if az:
    steps = [s for st in az.get("stages", []) for j in st.get("jobs", []) for s in j.get("steps", [])]
    tasks = [s.get("task", "") for s in steps]
    ok("PublishTestResults@2" in tasks, "pipeline: no PublishTestResults")
    scripts = [s["script"] for s in steps if "script" in s]
    for word in ("aigwc lint", "aigwc test", "aigwc audit", "aigwc diff", "task.uploadsummary"):
        ok(any(word in s for s in scripts), "pipeline: no step runs " + word)
    tmp = os.path.join(work + ".agent")
    os.makedirs(tmp, exist_ok=True)
    macros = {"POLICIES": "policies", "Build.ArtifactStagingDirectory": tmp, "Agent.TempDirectory": tmp}
    for i, s in enumerate(scripts):
        s = re.sub(r"\$\(([A-Za-z_.]+)\)", lambda m: macros.get(m.group(1), m.group(0)), s)
        run("pipeline script %d" % (i + 1), s, dict(os.environ))
    ok(os.path.exists(os.path.join(tmp, "CodeAnalysisLogs", "aigwc.sarif")), "pipeline: no SARIF written")

print("PASS %d FAIL %d" % (passed, failed))
