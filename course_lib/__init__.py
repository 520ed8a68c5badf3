"""course_lib: the helper package of the course *Transfer Learning for Image Generation and Restoration*.

Modules are named after the idea they hold (``data``, ``degrade``, ``metrics``, ``bm3d``, ...).
Importing ``course_lib`` is cheap: modules that need TensorFlow import it themselves.
"""

__version__ = "0.1.0"
