"""Uploaded and generated files: content checks, storage on disk, and safe download answers."""
