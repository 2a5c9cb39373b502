"""Build-free checks on real images: snapshot an image and compare two snapshots.

Used by the test suite to prove that a migrated build produces the same final
image as the legacy flow, and meant for ``dmigrate --verify`` as well.  Only
the standard library is imported here so that importing this package never
pulls in the CLI's heavier dependencies.
"""
