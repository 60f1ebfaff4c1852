"""The chart catalogue: for every chart, its published table and the figure built from it.
"""
