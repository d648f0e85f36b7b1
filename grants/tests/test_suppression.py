from grants.suppression import suppress, suppress_one


def test_counts_of_one_to_four_are_suppressed() -> None:
    assert [str(c) for c in (suppress_one(n) for n in (0, 1, 4, 5, 12))] == [
        "0",
        "<5",
        "<5",
        "5",
        "12",
    ]


def test_a_lone_suppressed_cell_takes_the_next_smallest_with_it() -> None:
    cells = suppress([3, 40, 7, 100])
    assert [c.value for c in cells] == [None, 40, None, 100]


def test_two_suppressed_cells_need_no_secondary_suppression() -> None:
    assert [c.value for c in suppress([3, 2, 40, 7])] == [None, None, 40, 7]


def test_without_a_total_only_small_cells_are_suppressed() -> None:
    assert [c.value for c in suppress([3, 40, 7], with_total=False)] == [None, 40, 7]


def test_zero_is_not_a_candidate_for_secondary_suppression() -> None:
    assert [c.value for c in suppress([0, 3, 9])] == [0, None, None]
