"""Reading, validating and writing files: GeoPackage bundles, CSV/XLSX sites, exports."""
