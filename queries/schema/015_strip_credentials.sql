-- 015: credentials out of stores written before papers stripped them. A base URL given with a user
-- and password (http://user:secret@host/v1) or a credential in its query (?api-key=...) was kept
-- whole in runs.settings (api_base) and batches.api_base, and so exported and pushed. The URLs lose
-- their user and password and every query parameter named like a credential (key, api_key, api-key,
-- token, access_token, sig, signature, password, secret, ..., any case), as papers.collect.endpoints.
-- public_url does for every URL stored since. A stored batch job is still reached: a run given the
-- same endpoint adds its credentials back for the call, never to the store.
create temporary macro papers_public_url(url) as
    regexp_replace(
        regexp_replace(
            regexp_replace(
                regexp_replace(url, '^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@', '\1'),
                '(?i)([?&])([^=&#]*[_-])?(key|apikey|token|sig|signature|password|passwd|pwd|secret|credentials?|auth|authorization)=[^&#]*',
                '\1', 'g'),
            '([?&])&+', '\1', 'g'),
        '[?&]+(#|$)', '\1');

update runs
set settings = json_merge_patch(
    settings, json_object('api_base', papers_public_url(json_extract_string(settings, '$.api_base'))))
where json_extract_string(settings, '$.api_base') is not null
    and papers_public_url(json_extract_string(settings, '$.api_base'))
        <> json_extract_string(settings, '$.api_base');

update batches
set api_base = papers_public_url(api_base)
where api_base is not null and papers_public_url(api_base) <> api_base;

drop macro papers_public_url;
