"""course_lib: the helper package of the course *Transfer Learning for Image Generation and Restoration*.

Modules are named after the idea they hold (``data``, ``degrade``, ``metrics``, ``bm3d``, ...).
Importing ``course_lib`` is cheap: modules that need TensorFlow import it themselves.

Importing it first also keeps TensorFlow's C++ log lines (absl notices, CPU-feature and oneDNN
messages, grappler warnings) out of the lessons: TensorFlow reads ``TF_CPP_MIN_LOG_LEVEL`` and
``TF_ENABLE_ONEDNN_OPTS`` once, when it loads, so they are set here (unless already set) before any
module imports it. Level 3 shows fatal errors only; Python exceptions are unaffected.

oneDNN's graph rewrites are off too. With them on, grappler's remapper tries to fuse Conv2D + BiasAdd +
LeakyRelu in the GAN discriminator's training step (``gan.make_train_step``), where the gradient
(``LeakyReluGrad``) also reads the BiasAdd output; the rewrite fails and TensorFlow logs ``remapper
failed: INVALID_ARGUMENT: Mutation::Apply error`` before running the graph unfused (the results are
not affected). Measured in lesson 01 with ``TF_CPP_MIN_LOG_LEVEL=0``: two such lines with oneDNN on,
none with it off.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__version__ = "0.1.0"
