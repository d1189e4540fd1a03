"""Red-tide early warning: will a buoy see a bloom tomorrow?

A job of the red-tide scenario (Python, run in the platform's sandbox). From the buoy
readings (HY-0001) it builds one row per buoy and day (daily means of chlorophyll-a,
dissolved oxygen, water temperature and salinity, and the day-to-day change of
chlorophyll-a), labels a day when the next day's mean chlorophyll-a reaches the bloom
threshold, fits a logistic regression on most months and validates it on held-out
months. It writes two outputs, both aggregates:

- ``redtide_metrics.csv``: one row per part of the data (training, validation) with the
  buoy-days, bloom days, AUC, accuracy, precision and recall;
- ``redtide_risk.png``: the validation's ROC curve and the model's coefficients.
"""

import matplotlib.pyplot as plt
import pandas as pd
import workspace
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

BLOOM_CHLOROPHYLL_A = 10.0  # µg/L, daily mean: a common red-tide warning level
VALIDATION_MONTHS = {4, 7, 10}  # held out: a bloom month in spring and summer, one quiet
FEATURES = ["chlorophyll_a", "chlorophyll_a_change", "dissolved_oxygen", "water_temp", "salinity"]

daily = workspace.sql(
    """
    SELECT buoy_id, CAST(ts AS DATE) AS day,
        avg(chlorophyll_a) AS chlorophyll_a,
        avg(dissolved_oxygen) AS dissolved_oxygen,
        avg(water_temp) AS water_temp,
        avg(salinity) AS salinity
    FROM hy_0001
    GROUP BY buoy_id, CAST(ts AS DATE)
    ORDER BY buoy_id, day
    """
)
by_buoy = daily.groupby("buoy_id")["chlorophyll_a"]
daily["chlorophyll_a_change"] = by_buoy.diff()
daily["tomorrow"] = by_buoy.shift(-1)
daily = daily.dropna(subset=["chlorophyll_a_change", "tomorrow"])
daily["bloom_tomorrow"] = daily["tomorrow"] >= BLOOM_CHLOROPHYLL_A

held_out = pd.to_datetime(daily["day"]).dt.month.isin(VALIDATION_MONTHS)
parts = {"training": daily[~held_out], "validation": daily[held_out]}
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
model.fit(parts["training"][FEATURES], parts["training"]["bloom_tomorrow"])

rows = []
for part, frame in parts.items():
    risk = model.predict_proba(frame[FEATURES])[:, 1]
    predicted = risk >= 0.5
    truth = frame["bloom_tomorrow"]
    rows.append(
        {
            "part": part,
            "buoy_days": len(frame),
            "bloom_days": int(truth.sum()),
            # Undefined with one class only (a small synthetic workspace may have no bloom).
            "auc": round(roc_auc_score(truth, risk), 3) if truth.nunique() == 2 else None,
            "accuracy": round(accuracy_score(truth, predicted), 3),
            "precision": round(precision_score(truth, predicted, zero_division=0), 3),
            "recall": round(recall_score(truth, predicted), 3),
        }
    )
metrics = pd.DataFrame(rows)
metrics.to_csv(workspace.OUTPUT / "redtide_metrics.csv", index=False)
print(metrics.to_string(index=False))

validation = parts["validation"]
false_positive, true_positive, _ = roc_curve(
    validation["bloom_tomorrow"], model.predict_proba(validation[FEATURES])[:, 1]
)
coefficients = model[-1].coef_[0]
figure, (roc, weights) = plt.subplots(1, 2, figsize=(10, 4))
roc.plot(false_positive, true_positive, label=f"AUC {rows[1]['auc']}")
roc.plot([0, 1], [0, 1], linestyle="--", color="grey")
roc.set(xlabel="false positive rate", ylabel="true positive rate")
roc.set_title("Bloom tomorrow: validation months")
roc.legend(loc="lower right")
weights.barh(FEATURES, coefficients)
weights.set(xlabel="standardized coefficient")
weights.set_title("Logistic regression")
figure.tight_layout()
figure.savefig(workspace.OUTPUT / "redtide_risk.png", dpi=100)
