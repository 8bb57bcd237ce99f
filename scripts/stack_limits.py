"""Each nested stack stays within CloudFormation's limits after the SAM
transform (500 resources, 200 parameters, 200 outputs). Offline: the
transform runs here with a stand-in for code locations and policies.

Usage: .venv/bin/python scripts/stack_limits.py stacks/*.yaml
"""

import logging
import os
import re
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

LIMITS = {"Resources": 500, "Parameters": 200, "Outputs": 200}


class NoManagedPolicies:
    def load(self):
        return {}


def main(paths):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    logging.disable(logging.CRITICAL)  # the translator's feature-toggle chatter
    failed = False
    for path in paths:
        # The transform wants S3 code locations; `sam build` makes them so.
        text = re.sub(r"CodeUri: \S+", "CodeUri: s3://bucket/key", open(path).read())
        template = transform(yaml_parse(text), {}, NoManagedPolicies())
        counts = {section: len(template.get(section, {})) for section in LIMITS}
        print(f"{path}: " + ", ".join(f"{counts[s]} of {LIMITS[s]} {s.lower()}" for s in LIMITS))
        failed |= any(counts[s] > LIMITS[s] for s in LIMITS)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
