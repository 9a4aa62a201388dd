"""JUnit XML: one ``<testcase>`` per check, points as ``<properties>``.

``failed`` checks become ``<failure>``, ``error``/``timeout`` become ``<error>``,
``missing`` becomes ``<skipped>``; GitLab, Jenkins and GitHub test-report actions read it.
"""

import xml.etree.ElementTree as ET


def _clean(text):
    # XML 1.0 forbids most control characters; student messages may contain them.
    return "".join(ch for ch in str(text) if ch in "\t\n\r" or ord(ch) >= 32)


def tree(result):
    """The report as an ElementTree."""
    statuses = [c.status for c in result.checks]
    suites = ET.Element("testsuites", name="grader", tests=str(len(statuses)))
    suite = ET.SubElement(suites, "testsuite", name=_clean(result.submission),
                          tests=str(len(statuses)), failures=str(statuses.count("failed")),
                          errors=str(statuses.count("error") + statuses.count("timeout")),
                          skipped=str(statuses.count("missing")), time=f"{result.seconds:.3f}")
    props = ET.SubElement(suite, "properties")
    for name, value in (("score", result.score), ("max_score", result.max_score),
                        ("grader_version", result.grader_version),
                        ("submission_hash", result.submission_hash)):
        ET.SubElement(props, "property", name=name, value=str(value))
    for c in result.checks:
        case = ET.SubElement(suite, "testcase", classname=f"grader.{c.group}", name=c.id,
                             time=f"{c.seconds:.3f}")
        cp = ET.SubElement(case, "properties")
        for name, value in (("score", c.score), ("max_score", c.max_score),
                            ("visibility", c.visibility)):
            ET.SubElement(cp, "property", name=name, value=str(value))
        message = _clean(c.feedback or c.status)[:1000]
        if c.status == "failed":
            ET.SubElement(case, "failure", message=message, type="failed").text = message
        elif c.status in ("error", "timeout"):
            ET.SubElement(case, "error", message=message, type=c.status).text = message
        elif c.status == "missing":
            ET.SubElement(case, "skipped", message=message)
    return ET.ElementTree(suites)


def write(result, path):
    t = tree(result)
    ET.indent(t)
    t.write(path, encoding="utf-8", xml_declaration=True)
