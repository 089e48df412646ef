"""Rights at the boundary: the store refuses a save, delete or restore whose changes against
the *stored* previous version the user may not make, judged against the shared base region
(never the session's copy). One test per path found in issue #15."""

import pytest

from placeplan.errors import ValidationError
from placeplan.io.rights import refused_edits
from placeplan.io.roles import read_roles, user_for
from placeplan.io.store import RefusedChangeError, ScenarioStore, StaleScenarioError
from placeplan.model.scenario import Scenario

MK, BED, CB = "E06000042", "E06000055", "E06000056"
BED_SITE = "BED:05/00598/FUL"
BED_AREA = "8220001"  # a Bedford primary planning area
IN_BEDFORD = (507745.0, 245896.0)  # a point inside it
ROLES = f"""email,council_code,role
mk.planner@mk.gov.uk,{MK},planner
mk.places@mk.gov.uk,{MK},childrens_services
bed.planner@bedford.gov.uk,{BED},planner
bed.places@bedford.gov.uk,{BED},childrens_services
both@region.gov.uk,{MK},planner
both@region.gov.uk,{BED},planner
viewer@region.gov.uk,*,viewer
boss@region.gov.uk,*,admin
"""


@pytest.fixture
def users(tmp_path):
    path = tmp_path / "roles.csv"
    path.write_text(ROLES)
    roles = read_roles(path)
    return lambda email: user_for(email, roles)


@pytest.fixture
def store(tmp_path, demo_region):
    return ScenarioStore(tmp_path / "s.sqlite", create=True, base=demo_region)


def test_load_then_save_cannot_drop_another_councils_change(store, users):
    bedford = Scenario(name="Joint plan", edit_sites={BED_SITE: {"dwellings": 4000.0}})
    assert store.save(bedford, users("bed.planner@bedford.gov.uk")) == 1
    loaded, v = store.load("Joint plan")  # anyone may open any scenario
    assert loaded == bedford and v.council == BED
    mk = users("mk.planner@mk.gov.uk")
    with pytest.raises(RefusedChangeError, match=f"may not change site {BED_SITE} of Bedford"):
        store.save(Scenario(name="Joint plan"), mk, expected_version=1)  # drops Bedford's 4,000 homes
    # keeping Bedford's change and adding MK's own is allowed
    mk_site = store.base.sites.loc[store.base.sites["council_code"] == MK, "site_id"].iloc[0]
    both = Scenario(name="Joint plan", edit_sites={BED_SITE: {"dwellings": 4000.0}, mk_site: {"dwellings": 10.0}})
    assert store.save(both, mk, expected_version=1) == 2
    assert store.load("Joint plan")[1].council == MK


def test_an_upload_cannot_relabel_another_councils_site(store, users, demo_region):
    mk = users("mk.planner@mk.gov.uk")
    zero = Scenario(name="Upload", edit_sites={BED_SITE: {"dwellings": 0.0}})
    # a session region with Bedford's sites relabelled as MK's would let the change through ...
    relabelled = demo_region.replace(sites=demo_region.sites.assign(council_code=MK))
    assert refused_edits(relabelled, Scenario(), zero, mk) == []
    # ... but the store judges against its shared base region
    with pytest.raises(RefusedChangeError, match="of Bedford"):
        store.save(zero, mk)
    assert store.list() == []


def test_an_import_cannot_change_another_councils_capacity(store, users):
    imported = Scenario(name="Imported", capacity_changes=[
        {"planning_area_code": BED_AREA, "phase": "primary", "academic_year": "2020/21", "places": -630.0}])
    with pytest.raises(RefusedChangeError, match=f"capacity in planning area {BED_AREA} of Bedford"):
        store.save(imported, users("mk.places@mk.gov.uk"))
    assert store.save(imported, users("bed.places@bedford.gov.uk")) == 1


def test_duplicate_rows_count(store, users):
    row = {"planning_area_code": BED_AREA, "phase": "primary", "academic_year": "2020/21", "places": 420.0}
    store.save(Scenario(name="Cap", capacity_changes=[row]), users("bed.places@bedford.gov.uk"))
    tripled = Scenario(name="Cap", capacity_changes=[row, row, row])
    # a set comparison would see no change; the rights count each repeat
    refused = refused_edits(store.base, Scenario(name="Cap", capacity_changes=[row]), tripled, users("mk.places@mk.gov.uk"))
    assert refused and "of Bedford" in refused[0]
    # and the store refuses the repeated rows themselves: the forecast would add 420 places three times
    with pytest.raises(ValidationError, match="row 2, column planning_area_code: repeats the same"):
        store.save(tripled, users("bed.places@bedford.gov.uk"), expected_version=1)


def test_delete_needs_a_role_an_expected_version_and_can_be_undone(store, users):
    s = Scenario(name="Bedford plan", edit_sites={BED_SITE: {"dwellings": 100.0}})
    store.save(s, users("bed.planner@bedford.gov.uk"))
    for who in ("viewer@region.gov.uk", "stranger@elsewhere.org"):  # a viewer; an account not in the roles file
        with pytest.raises(RefusedChangeError, match="may only view"):
            store.delete("Bedford plan", users(who), expected_version=1)
    with pytest.raises(RefusedChangeError, match="of Bedford"):
        store.delete("Bedford plan", users("mk.planner@mk.gov.uk"), expected_version=1)
    with pytest.raises(TypeError):
        store.delete("Bedford plan", users("bed.planner@bedford.gov.uk"))  # no expected version
    with pytest.raises(StaleScenarioError, match="now version 1"):
        store.delete("Bedford plan", users("bed.planner@bedford.gov.uk"), expected_version=7)
    assert store.load("Bedford plan")[1].version == 1
    assert store.delete("Bedford plan", users("bed.planner@bedford.gov.uk"), expected_version=1) == 2
    assert store.list() == [] and [v.name for v in store.deleted()] == ["Bedford plan"]
    with pytest.raises(RefusedChangeError):
        store.restore("Bedford plan", users("mk.planner@mk.gov.uk"), expected_version=2)
    assert store.restore("Bedford plan", users("boss@region.gov.uk"), expected_version=2) == 3
    restored, v = store.load("Bedford plan")
    assert restored == s and not v.deleted and v.note == "restored version 1"
    assert [x.deleted for x in store.history("Bedford plan")] == [False, True, False]


def test_a_site_added_across_a_border_needs_both_councils(store, users):
    site = {"site_id": "NEW1", "site": "Over the border", "council_code": MK, "dwellings": 400.0,
            "easting": IN_BEDFORD[0], "northing": IN_BEDFORD[1]}
    with pytest.raises(RefusedChangeError, match="site NEW1 of Bedford"):
        store.save(Scenario(name="Border", add_sites=[site]), users("mk.planner@mk.gov.uk"))
    with pytest.raises(RefusedChangeError, match="site NEW1 of Milton Keynes"):
        store.save(Scenario(name="Border", add_sites=[site]), users("bed.planner@bedford.gov.uk"))
    by_area = {k: v for k, v in site.items() if k not in ("easting", "northing")} | {"planning_area_code": BED_AREA}
    with pytest.raises(RefusedChangeError, match="site NEW1 of Bedford"):
        store.save(Scenario(name="Border", add_sites=[by_area]), users("mk.planner@mk.gov.uk"))
    assert store.save(Scenario(name="Border", add_sites=[site]), users("both@region.gov.uk"), council=MK) == 1


def test_moving_a_site_to_another_council_needs_both(store, users):
    move = Scenario(name="Move", edit_sites={BED_SITE: {"council_code": MK}})
    with pytest.raises(RefusedChangeError, match="moving it to another council"):
        store.save(move, users("bed.planner@bedford.gov.uk"))
    assert store.save(move, users("both@region.gov.uk"), council=BED) == 1


def test_the_council_recorded_comes_from_the_roles(store, users):
    mk = users("mk.planner@mk.gov.uk")
    with pytest.raises(RefusedChangeError, match="no editing role for council 'E06000055'"):
        store.save(Scenario(name="Mine"), mk, council=BED)
    store.save(Scenario(name="Mine"), mk, council="")
    assert store.load("Mine")[1].council == MK


def test_a_signed_in_save_needs_the_base_region(tmp_path, users):
    from placeplan.io.store import StoreError

    bare = ScenarioStore(tmp_path / "bare.sqlite", create=True)
    with pytest.raises(StoreError, match="without the shared base region"):
        bare.save(Scenario(name="X"), users("boss@region.gov.uk"))
