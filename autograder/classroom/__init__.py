"""The class around the grading of one notebook: what an instructor does with a batch's results
(exports an LMS imports, the class report)."""
