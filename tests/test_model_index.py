"""model-index.yml (what `mim search wsl` reads) lists every config exactly once, with existing paths."""
import glob
import os.path as osp

import yaml

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_model_index_covers_every_config():
    index = yaml.safe_load(open(osp.join(ROOT, 'model-index.yml')))
    listed, collections = [], set()
    for meta in index['Import']:
        assert osp.isfile(osp.join(ROOT, meta)), meta
        data = yaml.safe_load(open(osp.join(ROOT, meta)))
        names = {c['Name'] for c in data['Collections']}
        collections |= names
        for model in data['Models']:
            assert model['In Collection'] in names, model['Name']
            assert osp.isfile(osp.join(ROOT, model['Config'])), model['Config']
            assert model['Name'] == osp.splitext(osp.basename(model['Config']))[0]
            assert model['Config'].startswith(osp.dirname(meta) + '/'), (meta, model['Config'])
            listed.append(model['Config'])
    configs = sorted(p[len(ROOT) + 1:] for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
                     if '/_base_/' not in p)
    assert sorted(listed) == configs  # each config once, none missing
    for meta in index['Import']:
        data = yaml.safe_load(open(osp.join(ROOT, meta)))
        for c in data['Collections']:
            assert osp.isfile(osp.join(ROOT, c['README'])), c['README']
