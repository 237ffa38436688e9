"""What every workbook shares: layout, input names, fingerprint, document style, atomic writes."""
