"""Training: synthetic (record, note) pairs, causal-LM fine-tuning on them, and the offline demo model.

    synth      varied synthetic records of every type, notes from the template path with fact-safe variation
    finetune   seed -> note fine-tuning (loss on the note only), validation, checkpoints, resume
    demo       the offline demo model: tokenizer + small GPT-2 trained on synthetic pairs, exported to ONNX
"""
