"""The Fellegi-Sunter model of record: Splink settings (data), training, and the versioned artefact."""
