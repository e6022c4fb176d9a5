"""PCL-5: DSM-5 cluster sub-scores and a probable-PTSD cut-point clinics can set."""

from __future__ import annotations

import pytest

from ketaclinic.clinical.scales import score


def pcl5(total: int) -> dict[str, int]:
    answers = {f"pcl5_{n}": 0 for n in range(1, 21)}
    for n in range(1, 21):
        answers[f"pcl5_{n}"] = min(4, total)
        total -= answers[f"pcl5_{n}"]
    return answers


def test_it_reports_the_four_dsm5_cluster_sub_scores() -> None:
    answers = {f"pcl5_{n}": n % 5 for n in range(1, 21)}
    result = score("pcl5", answers)
    assert result.subscores == {
        "cluster_b": 1 + 2 + 3 + 4 + 0,  # items 1-5
        "cluster_c": 1 + 2,  # items 6-7
        "cluster_d": 3 + 4 + 0 + 1 + 2 + 3 + 4,  # items 8-14
        "cluster_e": 0 + 1 + 2 + 3 + 4 + 0,  # items 15-20
    }
    assert result.total == sum(result.subscores.values()) == 40


def test_it_flags_probable_ptsd_from_33_by_default() -> None:
    assert score("pcl5", pcl5(32)).flags == ()
    assert score("pcl5", pcl5(33)).flags == ("probable_ptsd",)


@pytest.mark.parametrize(("cut_point", "flagged_at_31"), [(31, True), (32, False), (33, False)])
def test_it_lets_a_clinic_choose_a_cut_point_in_the_published_range(
    cut_point: int, flagged_at_31: bool
) -> None:
    result = score("pcl5", pcl5(31), thresholds={"probable_ptsd": cut_point})
    assert ("probable_ptsd" in result.flags) is flagged_at_31


def test_it_refuses_a_threshold_for_a_flag_the_instrument_does_not_have() -> None:
    with pytest.raises(ValueError, match="no adjustable flag"):
        score("pcl5", pcl5(40), thresholds={"probable_ptsd_typo": 31})


def test_it_reports_the_pcl5_total_without_inventing_severity_bands() -> None:
    assert score("pcl5", pcl5(80)).band == "reported"
