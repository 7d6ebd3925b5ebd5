"""The answer options of the intake form, as (stored value, words shown) pairs.

Equality questions follow the Equality Act 2010 protected characteristics; ethnic groups are
the ONS 2021 census categories for England and Wales.
"""

from __future__ import annotations

from app import workflow

# The service question's words for each service code (the codes are app.workflow.SERVICES).
_SERVICE_WORDS = {
    "idva": "IDVA – support with domestic abuse",
    "isva": "ISVA – support after rape or sexual violence",
    "not_sure": "I’m not sure",
}
SERVICES = tuple((code, _SERVICE_WORDS[code]) for code in workflow.SERVICES)
CONTACT_METHODS = (
    ("details", "Contact me using safe contact details I will give you"),
    ("phrase_only", "No contact details – I will come back with my reference phrase"),
)
YES_NO = (("yes", "Yes"), ("no", "No"))
VOICEMAIL = (
    ("nothing", "Do not leave a voicemail"),
    ("first_name", "My first name only"),
    ("name_and_service", "My name and the name of the service"),
)
ROLE_GROUPS = (
    ("officer", "Police officer"),
    ("staff", "Police staff"),
    ("volunteer", "Volunteer (for example, special constable)"),
    ("contractor", "Contractor"),
)
CONNECTION = (
    ("yes", "Yes, they work for or with the police"),
    ("no", "No"),
    ("not_sure", "I’m not sure"),
)
RECENCY = (
    ("recent", "In the last 12 months"),
    ("non_recent", "More than 12 months ago"),
)
REPORTED = (
    ("police", "Yes, to the police"),
    ("dps", "Yes, to professional standards (DPS)"),
    ("both", "Yes, to both"),
    ("no", "No"),
)
URGENCY = (
    ("urgent", "I need to speak to someone as soon as possible"),
    ("safety", "I am worried about my safety or someone else’s"),
    ("children", "There are children who may be affected"),
    ("court", "I have a court date, interview or hearing coming up"),
)
AGE_GROUPS = (
    ("16-24", "16 to 24"),
    ("25-34", "25 to 34"),
    ("35-44", "35 to 44"),
    ("45-54", "45 to 54"),
    ("55-64", "55 to 64"),
    ("65+", "65 or over"),
)
SEX = (("female", "Female"), ("male", "Male"))
SEXUAL_ORIENTATION = (
    ("straight", "Straight or heterosexual"),
    ("gay_lesbian", "Gay or lesbian"),
    ("bisexual", "Bisexual"),
    ("other", "Another sexual orientation"),
)
ETHNICITY = (
    ("asian_indian", "Asian or Asian British: Indian"),
    ("asian_pakistani", "Asian or Asian British: Pakistani"),
    ("asian_bangladeshi", "Asian or Asian British: Bangladeshi"),
    ("asian_chinese", "Asian or Asian British: Chinese"),
    ("asian_other", "Asian or Asian British: any other Asian background"),
    ("black_caribbean", "Black, Black British, Caribbean or African: Caribbean"),
    ("black_african", "Black, Black British, Caribbean or African: African"),
    ("black_other", "Black, Black British, Caribbean or African: any other background"),
    ("mixed_white_black_caribbean", "Mixed or multiple ethnic groups: White and Black Caribbean"),
    ("mixed_white_black_african", "Mixed or multiple ethnic groups: White and Black African"),
    ("mixed_white_asian", "Mixed or multiple ethnic groups: White and Asian"),
    ("mixed_other", "Mixed or multiple ethnic groups: any other background"),
    ("white_british", "White: English, Welsh, Scottish, Northern Irish or British"),
    ("white_irish", "White: Irish"),
    ("white_gypsy_traveller", "White: Gypsy or Irish Traveller"),
    ("white_roma", "White: Roma"),
    ("white_other", "White: any other White background"),
    ("other_arab", "Other ethnic group: Arab"),
    ("other_any", "Other ethnic group: any other ethnic group"),
)
RELIGION = (
    ("none", "No religion"),
    ("christian", "Christian"),
    ("buddhist", "Buddhist"),
    ("hindu", "Hindu"),
    ("jewish", "Jewish"),
    ("muslim", "Muslim"),
    ("sikh", "Sikh"),
    ("other", "Any other religion or belief"),
)
DISABILITY = (
    ("yes_a_lot", "Yes, and it limits my day-to-day life a lot"),
    ("yes_a_little", "Yes, and it limits my day-to-day life a little"),
    ("yes_not_at_all", "Yes, but it does not limit my day-to-day life"),
    ("no", "No"),
)
MARITAL_STATUS = (
    ("never", "Never married and never registered a civil partnership"),
    ("married", "Married or in a civil partnership"),
    ("separated", "Separated, but still legally married or in a civil partnership"),
    ("divorced", "Divorced or civil partnership dissolved"),
    ("widowed", "Widowed or surviving civil partner"),
)
