// (placeholder made by the serve engineer so the package resolves; delete once real sources exist)
