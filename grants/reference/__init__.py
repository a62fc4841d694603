"""Reference data: action plans, axes, measures, CSESM recommendations, regions, nations, ministries."""
